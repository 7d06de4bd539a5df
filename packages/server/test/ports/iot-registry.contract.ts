import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CertificateRecord, IotRegistry, ThingRecord } from '../../src/iot/iot-registry.js';

/**
 * What every IotRegistry must do. Run against the memory registry and the
 * DynamoDB one: a behaviour asserted here holds for both, so tests written
 * against the fake say something about production.
 *
 * `make` may hand back the same store for every test (a DynamoDB table per
 * suite); each test therefore works under ids of its own.
 */
export function describeIotRegistry(
  name: string,
  make: () => IotRegistry | Promise<IotRegistry>,
): void {
  describe(`IotRegistry contract: ${name}`, () => {
    /** Ids unique to one test, so tests sharing a table never see each other. */
    function ids() {
      const run = randomUUID().slice(0, 8);
      return {
        partner: `partner-${run}`,
        otherPartner: `other-${run}`,
        thing: (n: string | number) => `gw-${run}-${n}`,
      };
    }

    function thing(
      thingName: string,
      partnerId: string,
      organisationId = 'org-1',
    ): Omit<ThingRecord, 'version' | 'lastConnectedAt'> {
      return { thingName, partnerId, organisationId, createdAt: '2025-01-01T00:00:00.000Z' };
    }

    function cert(
      partnerId: string,
      thingName: string | null,
      createdAt = '2025-01-01T00:00:00.000Z',
    ): Omit<CertificateRecord, 'updatedAt'> {
      return {
        certificateId: randomBytes(32).toString('hex'),
        certificatePem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
        status: 'ACTIVE',
        partnerId,
        thingName,
        isClaim: thingName === null,
        notAfter: '2030-01-01T00:00:00.000Z',
        createdAt,
      };
    }

    const domainError = (code: string) => ({ name: 'DomainError', code });

    describe('things', () => {
      it('creates a thing and gets it back by name, with version 1 and no connection yet', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        const created = await reg.createThing(thing(t(1), partner, 'org-a'));
        expect(created).toEqual({
          thingName: t(1),
          partnerId: partner,
          organisationId: 'org-a',
          createdAt: '2025-01-01T00:00:00.000Z',
          lastConnectedAt: null,
          version: 1,
        });
        expect(await reg.getThing(t(1))).toEqual(created);
        expect(await reg.getThing(t('missing'))).toBeNull();
      });

      it('refuses a second thing of the same name, even for another partner (CONFLICT)', async () => {
        const reg = await make();
        const { partner, otherPartner, thing: t } = ids();
        await reg.createThing(thing(t(1), partner));
        await expect(reg.createThing(thing(t(1), partner))).rejects.toMatchObject(
          domainError('CONFLICT'),
        );
        await expect(reg.createThing(thing(t(1), otherPartner))).rejects.toMatchObject(
          domainError('CONFLICT'),
        );
        // The first owner is untouched by the failed attempts.
        expect((await reg.getThing(t(1)))?.partnerId).toBe(partner);
      });

      it("refuses ids with the key separator '#' (VALIDATION_FAILED)", async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        await expect(reg.createThing(thing(`${t(1)}#x`, partner))).rejects.toMatchObject(
          domainError('VALIDATION_FAILED'),
        );
        await expect(reg.createThing(thing(t(2), `${partner}#THINGS`))).rejects.toMatchObject(
          domainError('VALIDATION_FAILED'),
        );
        await expect(reg.createThing(thing(t(3), partner, ''))).rejects.toMatchObject(
          domainError('VALIDATION_FAILED'),
        );
      });

      it("lists a partner's things by name over several pages, never another partner's", async () => {
        const reg = await make();
        const { partner, otherPartner, thing: t } = ids();
        // Created out of order: the list orders by name, not by insertion.
        for (const n of [3, 1, 5, 2, 4]) await reg.createThing(thing(t(n), partner));
        await reg.createThing(thing(t(0), otherPartner));
        await reg.createThing(thing(t(6), otherPartner));

        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await reg.listThings(partner, { limit: 2, ...(cursor ? { cursor } : {}) });
          pages.push(page.items.map((i) => i.thingName));
          expect(page.items.every((i) => i.partnerId === partner)).toBe(true);
          cursor = page.cursor ?? undefined;
        } while (cursor !== undefined && pages.length < 10);

        expect(pages).toEqual([[t(1), t(2)], [t(3), t(4)], [t(5)]]);
        // A page that ends exactly at the last thing says so: no cursor to an empty page.
        const whole = await reg.listThings(partner, { limit: 5 });
        expect(whole.items).toHaveLength(5);
        expect(whole.cursor).toBeNull();
        expect((await reg.listThings(otherPartner)).items.map((i) => i.thingName)).toEqual([
          t(0),
          t(6),
        ]);
        expect(await reg.listThings(`nobody-${partner}`)).toEqual({ items: [], cursor: null });
      });

      it("lists one organisation's things, paginated, within the partner only", async () => {
        const reg = await make();
        const { partner, otherPartner, thing: t } = ids();
        await reg.createThing(thing(t(1), partner, 'org-a'));
        await reg.createThing(thing(t(2), partner, 'org-b'));
        await reg.createThing(thing(t(3), partner, 'org-a'));
        await reg.createThing(thing(t(4), partner, 'org-b'));
        await reg.createThing(thing(t(5), partner, 'org-a'));
        // Same organisation id under another partner: ids are per partner, not global.
        await reg.createThing(thing(t(6), otherPartner, 'org-a'));

        const names: string[] = [];
        let cursor: string | undefined;
        let calls = 0;
        do {
          const page = await reg.listThings(partner, {
            organisationId: 'org-a',
            limit: 2,
            ...(cursor ? { cursor } : {}),
          });
          expect(page.items.length).toBeLessThanOrEqual(2);
          names.push(...page.items.map((i) => i.thingName));
          cursor = page.cursor ?? undefined;
          calls += 1;
        } while (cursor !== undefined && calls < 10);

        expect(names).toEqual([t(1), t(3), t(5)]);
        const first = await reg.listThings(partner, { organisationId: 'org-a', limit: 2 });
        expect(first.items.map((i) => i.thingName)).toEqual([t(1), t(3)]);
        expect(first.cursor).not.toBeNull();
      });

      it('rejects a tampered, foreign or malformed cursor and a bad limit (VALIDATION_FAILED)', async () => {
        const reg = await make();
        const { partner, otherPartner, thing: t } = ids();
        for (const n of [1, 2, 3]) await reg.createThing(thing(t(n), partner));
        for (const n of [4, 5, 6]) await reg.createThing(thing(t(n), otherPartner));
        const mine = (await reg.listThings(partner, { limit: 1 })).cursor;
        const theirs = (await reg.listThings(otherPartner, { limit: 1 })).cursor;
        expect(mine).toEqual(expect.any(String));
        expect(theirs).toEqual(expect.any(String));

        const decoded = Buffer.from(mine as string, 'base64url').toString('utf8');
        const bad = [
          theirs as string,
          `${mine}x`,
          `${mine}!`,
          `x${mine}`,
          (mine as string).slice(1),
          'not a cursor',
          Buffer.from('{}').toString('base64url'),
          Buffer.from('null').toString('base64url'),
          Buffer.from('[1,2]').toString('base64url'),
          // Same structure, owner swapped: must not become a way into another list.
          Buffer.from(decoded.split(partner).join(otherPartner)).toString('base64url'),
        ];
        for (const cursor of bad) {
          await expect(reg.listThings(partner, { limit: 1, cursor })).rejects.toMatchObject(
            domainError('VALIDATION_FAILED'),
          );
        }
        for (const limit of [0, -1, 1.5, 101]) {
          await expect(reg.listThings(partner, { limit })).rejects.toMatchObject(
            domainError('VALIDATION_FAILED'),
          );
        }
        // The genuine cursor still works after all that.
        const next = await reg.listThings(partner, { limit: 1, cursor: mine as string });
        expect(next.items.map((i) => i.thingName)).toEqual([t(2)]);
      });

      it('records a connection: sets lastConnectedAt and bumps the version, never backwards', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        await reg.createThing(thing(t(1), partner));
        await reg.recordConnection(t(1), '2025-03-01T10:00:00.000Z');
        expect(await reg.getThing(t(1))).toMatchObject({
          lastConnectedAt: '2025-03-01T10:00:00.000Z',
          version: 2,
        });
        // A late report of an earlier CONNECT must not overwrite the later one.
        await reg.recordConnection(t(1), '2025-03-01T09:00:00.000Z');
        expect(await reg.getThing(t(1))).toMatchObject({
          lastConnectedAt: '2025-03-01T10:00:00.000Z',
          version: 2,
        });
        await expect(
          reg.recordConnection(t('missing'), '2025-03-01T10:00:00.000Z'),
        ).rejects.toMatchObject(domainError('NOT_FOUND'));
      });

      it('keeps the latest of concurrent connections and counts each accepted update', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        await reg.createThing(thing(t(1), partner));
        const times = Array.from({ length: 8 }, (_, i) => `2025-03-01T10:00:0${i}.000Z`).reverse();
        await Promise.all(times.map((at) => reg.recordConnection(t(1), at)));
        const after = await reg.getThing(t(1));
        expect(after?.lastConnectedAt).toBe('2025-03-01T10:00:07.000Z');
        // No lost update: the version grew once per write that moved the time forward.
        expect(after?.version).toBeGreaterThanOrEqual(2);
        expect(after?.version).toBeLessThanOrEqual(1 + times.length);
      });
    });

    describe('certificates', () => {
      it('creates a certificate and gets it back by id; the same id twice is CONFLICT', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        const input = cert(partner, t(1));
        const created = await reg.createCertificate(input);
        expect(created).toEqual({ ...input, updatedAt: input.createdAt });
        expect(await reg.getCertificate(input.certificateId)).toEqual(created);
        expect(await reg.getCertificate(randomBytes(32).toString('hex'))).toBeNull();
        await expect(reg.createCertificate({ ...input, status: 'INACTIVE' })).rejects.toMatchObject(
          domainError('CONFLICT'),
        );
        expect((await reg.getCertificate(input.certificateId))?.status).toBe('ACTIVE');
      });

      it('keeps claim certificates (no thing) and gets them by id', async () => {
        const reg = await make();
        const { partner } = ids();
        const claim = await reg.createCertificate(cert(partner, null));
        expect(await reg.getCertificate(claim.certificateId)).toMatchObject({
          isClaim: true,
          thingName: null,
          partnerId: partner,
        });
      });

      it("lists a thing's certificates newest first, only the owner's", async () => {
        const reg = await make();
        const { partner, otherPartner, thing: t } = ids();
        await reg.createThing(thing(t(1), partner));
        await reg.createThing(thing(t(2), partner));
        const old = await reg.createCertificate(cert(partner, t(1), '2025-01-01T00:00:00.000Z'));
        const newest = await reg.createCertificate(cert(partner, t(1), '2025-06-01T00:00:00.000Z'));
        const middle = await reg.createCertificate(cert(partner, t(1), '2025-03-01T00:00:00.000Z'));
        await reg.createCertificate(cert(partner, t(2), '2025-09-01T00:00:00.000Z'));
        await reg.createCertificate(cert(partner, null, '2025-09-01T00:00:00.000Z'));
        // A certificate of another partner that names this thing is not this thing's.
        await reg.createCertificate(cert(otherPartner, t(1), '2025-12-01T00:00:00.000Z'));

        const listed = await reg.listCertificates(t(1));
        expect(listed.map((c) => c.certificateId)).toEqual([
          newest.certificateId,
          middle.certificateId,
          old.certificateId,
        ]);
        expect(listed[0]).toEqual(newest);
        expect(await reg.listCertificates(t('missing'))).toEqual([]);
      });

      it('moves ACTIVE → INACTIVE → ACTIVE → REVOKED, and REVOKED is final', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        const { certificateId, createdAt } = await reg.createCertificate(cert(partner, t(1)));

        const inactive = await reg.setCertificateStatus(certificateId, 'INACTIVE');
        expect(inactive.status).toBe('INACTIVE');
        expect(inactive.updatedAt > createdAt).toBe(true);
        expect((await reg.getCertificate(certificateId))?.status).toBe('INACTIVE');
        expect((await reg.setCertificateStatus(certificateId, 'ACTIVE')).status).toBe('ACTIVE');
        const revoked = await reg.setCertificateStatus(certificateId, 'REVOKED');
        expect(revoked.status).toBe('REVOKED');

        for (const status of ['ACTIVE', 'INACTIVE'] as const) {
          await expect(reg.setCertificateStatus(certificateId, status)).rejects.toMatchObject(
            domainError('CONFLICT'),
          );
        }
        // Revoking again is a harmless retry that changes nothing.
        expect(await reg.setCertificateStatus(certificateId, 'REVOKED')).toEqual(revoked);
        expect(await reg.getCertificate(certificateId)).toEqual(revoked);
      });

      it('reports an unknown certificate as NOT_FOUND', async () => {
        const reg = await make();
        await expect(
          reg.setCertificateStatus(randomBytes(32).toString('hex'), 'REVOKED'),
        ).rejects.toMatchObject(domainError('NOT_FOUND'));
      });

      it('lets a revocation win over concurrent re-activations: stale writers get CONFLICT', async () => {
        const reg = await make();
        const { partner, thing: t } = ids();
        const { certificateId } = await reg.createCertificate(cert(partner, t(1)));
        const statuses = ['ACTIVE', 'INACTIVE', 'REVOKED', 'ACTIVE', 'INACTIVE', 'ACTIVE'] as const;
        const results = await Promise.allSettled(
          statuses.map((s) => reg.setCertificateStatus(certificateId, s)),
        );
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toMatchObject(domainError('CONFLICT'));
        }
        // Whatever the interleaving, nothing written after the revocation survives.
        expect((await reg.getCertificate(certificateId))?.status).toBe('REVOKED');
        await expect(reg.setCertificateStatus(certificateId, 'ACTIVE')).rejects.toMatchObject(
          domainError('CONFLICT'),
        );
      });
    });
  });
}

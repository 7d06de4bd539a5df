import { describe, expect, it } from 'vitest';
import {
  newSupportGrant,
  SUPPORT_ACCESS_MAX_SECONDS,
  supportGrantEnd,
  supportGrantStatus,
} from './support-access.js';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const actor = { kind: 'user' as const, id: 'usr_op' };
const input = {
  organisationId: 'org_1',
  userId: 'usr_s',
  access: 'read' as const,
  reason: '  Ticket 4711  ',
  expiresAt: '2025-03-11T13:00:00+01:00',
};

describe('support grants', () => {
  it('are made from input: expiry in UTC, reason trimmed, the grantor recorded', () => {
    expect(newSupportGrant('sup_1', 'acme', input, actor, NOW)).toEqual({
      id: 'sup_1',
      partnerId: 'acme',
      organisationId: 'org_1',
      userId: 'usr_s',
      access: 'read',
      reason: 'Ticket 4711',
      grantedBy: actor,
      createdAt: NOW.toISOString(),
      expiresAt: '2025-03-11T12:00:00.000Z',
    });
  });

  it('run for at most 30 days, and end in the future', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
    const make = (expiresAt: string) =>
      newSupportGrant('sup_1', 'acme', { ...input, expiresAt }, actor, NOW);
    expect(make(at(SUPPORT_ACCESS_MAX_SECONDS * 1000)).expiresAt).toBe(
      at(SUPPORT_ACCESS_MAX_SECONDS * 1000),
    );
    for (const expiresAt of [at(SUPPORT_ACCESS_MAX_SECONDS * 1000 + 1), at(0), at(-1), 'soon']) {
      expect(() => make(expiresAt), expiresAt).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: expect.objectContaining({ field: 'expiresAt' }),
        }),
      );
    }
  });

  it('refuse unknown levels, empty reasons and ids with separators', () => {
    for (const bad of [
      { access: 'admin' },
      { reason: ' ' },
      { userId: 'usr#1' },
      { organisationId: '' },
    ]) {
      expect(() =>
        newSupportGrant('sup_1', 'acme', { ...input, ...bad } as never, actor, NOW),
      ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('are active until they expire or are revoked, and end at the earlier', () => {
    const g = newSupportGrant('sup_1', 'acme', input, actor, NOW);
    expect(supportGrantStatus(g, NOW)).toBe('active');
    expect(supportGrantStatus(g, new Date(g.expiresAt))).toBe('expired');
    const revoked = { ...g, revokedAt: '2025-03-10T13:00:00.000Z', revokedBy: actor };
    expect(supportGrantStatus(revoked, NOW)).toBe('revoked');
    expect(supportGrantEnd(revoked)).toBe('2025-03-10T13:00:00.000Z');
    expect(supportGrantEnd(g)).toBe(g.expiresAt);
  });
});

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ANY_PARTNER, type Role } from '../../auth/principal.js';
import { DomainError } from '../../domain/errors.js';
import {
  readBranding,
  type NewPartner,
  type Partner,
  type PartnerBranding,
  type PartnerPatch,
} from '../../domain/tenancy/partner.js';
import type { PartnerStore } from '../../domain/tenancy/ports.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import {
  BrandingQuery,
  CreatePartnerRequest,
  PartnerListQuery,
  PartnerParams,
  UpdatePartnerRequest,
} from '../schemas/partners.js';

export interface PartnerRoutesOptions {
  partners: Pick<PartnerStore, 'create' | 'get' | 'list' | 'update' | 'findByCustomDomain'>;
}

const PLATFORM: readonly Role[] = ['platform-admin'];
/** A partner admin reads and rebrands its own partner; platform admins any. */
const PARTNER_MANAGERS: readonly Role[] = ['platform-admin', 'partner-admin'];

/** The branding is public: browsers and CDNs may keep it for five minutes. */
const BRANDING_CACHE = 'public, max-age=300';

/** The theme without anything internal: domains, origins, status and versions stay inside. */
function publicBranding(partner: Partner) {
  const { branding } = partner;
  return {
    partnerId: partner.id,
    name: partner.name,
    ...(branding.logoUrl === undefined ? {} : { logoUrl: branding.logoUrl }),
    colours: branding.colours,
    fonts: branding.fonts,
    defaultLocale: branding.defaultLocale,
    enabledLocales: branding.enabledLocales,
    legal: branding.legal,
    support: branding.support,
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item) => b.includes(item));

const partnerRoutes: FastifyPluginAsyncTypebox<PartnerRoutesOptions> = async (app, options) => {
  const { partners } = options;

  /** The partner, if the caller may see it: another partner's is NOT_FOUND, as a missing one is. */
  async function reachable(request: FastifyRequest, partnerId: string) {
    const partner = await partners.get(partnerId);
    if (partner === null) throw new DomainError('NOT_FOUND', `no partner '${partnerId}'`);
    const grants = request.authorize({ partnerId: partner.id });
    return { partner, platformAdmin: grants.some((g) => g.role === 'platform-admin') };
  }

  app.post(
    '/v1/partners',
    {
      config: { access: { roles: PLATFORM } },
      schema: {
        operationId: 'createPartner',
        tags: ['partners'],
        summary: 'Create a partner (white-label brand)',
        description:
          'Platform admins only. The id is chosen here and never changes; custom domains must ' +
          'belong to no other partner (409, as for a taken id).',
        body: CreatePartnerRequest,
        response: {
          201: Type.Ref('Partner'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const { id, name, branding, allowedOrigins, status } = request.body;
      request.authorize({ partnerId: id });
      const input: NewPartner = {
        id,
        name,
        // The schema has checked its shape; the domain validates and normalises it.
        branding: branding as PartnerBranding,
        ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
        ...(status === undefined ? {} : { status }),
      };
      const partner = await partners.create(input, actorOf(request));
      return reply.code(201).send(partner);
    },
  );

  app.get(
    '/v1/partners',
    {
      config: { access: { roles: PLATFORM } },
      schema: {
        operationId: 'listPartners',
        tags: ['partners'],
        summary: 'List every partner',
        description: 'Platform admins only; by id, paginated.',
        querystring: PartnerListQuery,
        response: { 200: Type.Ref('PartnerList'), 400: ErrorRef, 401: ErrorRef, 403: ErrorRef },
      },
    },
    async (request) => {
      // The whole platform is the target: only a platform-wide grant reaches it.
      request.authorize({ partnerId: ANY_PARTNER });
      const { limit, cursor } = request.query;
      return partners.list({
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.get(
    '/v1/partners/:partnerId',
    {
      config: { access: { roles: PARTNER_MANAGERS } },
      schema: {
        operationId: 'getPartner',
        tags: ['partners'],
        summary: 'A partner with its branding, origins and status',
        description: 'Partner admins read their own partner; platform admins any.',
        params: PartnerParams,
        response: { 200: Type.Ref('Partner'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => (await reachable(request, request.params.partnerId)).partner,
  );

  app.patch(
    '/v1/partners/:partnerId',
    {
      config: { access: { roles: PARTNER_MANAGERS } },
      schema: {
        operationId: 'updatePartner',
        tags: ['partners'],
        summary: "Change a partner's name, branding or origins; suspend or reactivate it",
        description:
          'Send the `version` last read: when the partner changed since, nothing is changed and ' +
          'the answer is 409. `branding` replaces the stored branding as a whole, except that ' +
          'custom domains left out stay as they are. Partner admins may change their own ' +
          "partner's name, branding and origins; custom domains and `status` only platform " +
          'admins (403). There is no delete: a partner is suspended.',
        params: PartnerParams,
        body: UpdatePartnerRequest,
        response: {
          200: Type.Ref('Partner'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const { partner, platformAdmin } = await reachable(request, request.params.partnerId);
      const { version, name, branding, allowedOrigins, status } = request.body;
      const patch: PartnerPatch = {
        ...(name === undefined ? {} : { name }),
        ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
        ...(status === undefined ? {} : { status }),
      };
      if (branding !== undefined) {
        const input = branding as Partial<PartnerBranding>;
        patch.branding = {
          ...input,
          customDomains: input.customDomains ?? partner.branding.customDomains,
        } as PartnerBranding;
      }
      if (!platformAdmin) {
        if (status !== undefined && status !== partner.status) {
          throw new DomainError('FORBIDDEN', 'only platform admins suspend or reactivate partners');
        }
        // Compared as the store would keep them (lower-case), so a change of case is no change.
        const domains =
          patch.branding === undefined ? [] : readBranding(patch.branding).customDomains;
        if (patch.branding !== undefined && !sameSet(domains, partner.branding.customDomains)) {
          throw new DomainError(
            'FORBIDDEN',
            'custom domains are set up by the platform: ask a platform admin',
          );
        }
      }
      return partners.update(partner.id, patch, version, actorOf(request));
    },
  );

  app.get(
    '/v1/branding',
    {
      config: { access: { public: "a partner's theme is what its public portal shows anyway" } },
      schema: {
        operationId: 'getBranding',
        tags: ['partners'],
        summary: "The partner's theme for the portal and the widgets",
        description:
          'Name, logo, colours, fonts, languages, legal and support links of the partner whose ' +
          'custom domain serves the request, or else of `?partner=`. 404 when neither names an ' +
          'active partner. Public and cacheable for five minutes.',
        querystring: BrandingQuery,
        response: { 200: Type.Ref('Branding'), 400: ErrorRef, 404: ErrorRef },
      },
    },
    async (request, reply) => {
      const partner =
        (await partners.findByCustomDomain(request.hostname)) ??
        (request.query.partner === undefined ? null : await partners.get(request.query.partner));
      // A suspended partner's portal is down; its theme is not served either.
      if (partner === null || partner.status !== 'active') {
        throw new DomainError('NOT_FOUND', 'no partner serves this host');
      }
      return reply.header('cache-control', BRANDING_CACHE).send(publicBranding(partner));
    },
  );
};

export default partnerRoutes;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { issueEmbedToken } from '../../auth/embed-tokens.js';
import type { Role } from '../../auth/principal.js';
import type { KeyRing } from '../../auth/signing-keys.js';
import { DomainError } from '../../domain/errors.js';
import type { PartnerStore, PropertyStore, UnitStore } from '../../domain/tenancy/ports.js';
import { ErrorRef } from '../schemas/common.js';
import { CreateEmbedTokenRequest } from '../schemas/embed-tokens.js';
import { loadProperty, loadUnit, partnerOf, propertyScope, unitScope } from './tenancy-access.js';

export interface EmbedTokenRoutesOptions {
  ring: KeyRing;
  issuer: string;
  partners: Pick<PartnerStore, 'get'>;
  properties: Pick<PropertyStore, 'get'>;
  units: Pick<UnitStore, 'get'>;
  now?: () => Date;
}

/**
 * Who may hand a page widgets: the operator and partner admins (a utility's
 * backend, usually with an API key) for any unit or property they serve, and a
 * tenant for its own unit. Landlords only for a whole property: a unit's
 * widget would show them one tenant's consumption.
 */
const ISSUERS: readonly Role[] = ['partner-admin', 'operator', 'landlord', 'tenant'];

const embedTokenRoutes: FastifyPluginAsyncTypebox<EmbedTokenRoutesOptions> = async (
  app,
  options,
) => {
  app.post(
    '/v1/embed-tokens',
    {
      // Support access mints no credentials, not even short-lived ones.
      config: { access: { roles: ISSUERS, support: 'none' } },
      schema: {
        operationId: 'createEmbedToken',
        tags: ['widgets'],
        summary: 'A short-lived, read-only token for the widgets of one unit or property',
        description:
          'For a page that embeds the widgets: the token works only from the origins named, ' +
          "which must be among the partner's allowed origins (403 otherwise), for at most 15 " +
          'minutes, and only on widget endpoints. Issue one per page view, from your backend.',
        body: CreateEmbedTokenRequest,
        response: {
          201: Type.Ref('EmbedToken'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const partnerId = partnerOf(request);
      const { unitId, propertyId, allowedOrigins, widgets, ttlSeconds } = request.body;
      if ((unitId === undefined) === (propertyId === undefined)) {
        throw new DomainError('VALIDATION_FAILED', 'name exactly one of unitId and propertyId', {
          details: { field: 'unitId' },
        });
      }
      let scope: { unitId: string } | { propertyId: string };
      if (unitId !== undefined) {
        const { unit, property } = await loadUnit(options, partnerId, unitId);
        const reaching = request.authorize(unitScope(property, unit));
        if (reaching.every((g) => g.role === 'landlord')) {
          throw new DomainError('FORBIDDEN', "a landlord's widgets show whole properties only");
        }
        scope = { unitId: unit.id };
      } else {
        const property = await loadProperty(options.properties, partnerId, propertyId!);
        request.authorize(propertyScope(property));
        scope = { propertyId: property.id };
      }
      const partner = await options.partners.get(partnerId);
      const { token, expiresAt } = await issueEmbedToken(
        options.ring,
        {
          partnerId,
          scope,
          allowedOrigins,
          ...(widgets === undefined ? {} : { widgets }),
          ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
        },
        {
          now: options.now?.() ?? new Date(),
          issuer: options.issuer,
          partnerAllowedOrigins: partner?.allowedOrigins ?? [],
        },
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ token, tokenType: 'Bearer' as const, expiresAt: expiresAt.toISOString() });
    },
  );
};

export default embedTokenRoutes;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Role } from '../../auth/principal.js';
import type { AuditLog } from '../../domain/audit.js';
import { actorOf } from '../actor.js';
import { requireOrganisation } from './tenancy-access.js';
import { DomainError } from '../../domain/errors.js';
import type { GatewayThing, IotCore } from '../../domain/ports.js';
import type { OrganisationStore } from '../../domain/tenancy/ports.js';
import { ErrorRef } from '../schemas/common.js';
import {
  CertificateParams,
  CertificateStatusRequest,
  GatewayListQuery,
  RegisterGatewayRequest,
  RotateCertificateRequest,
  ThingParams,
} from '../schemas/gateways.js';

export interface GatewayRoutesOptions {
  iot: Pick<
    IotCore,
    'registerGateway' | 'getGateway' | 'listGateways' | 'rotateCertificate' | 'setCertificateStatus'
  >;
  organisations: Pick<OrganisationStore, 'get'>;
  audit: Pick<AuditLog, 'append'>;
}

/** Metering operators manage their organisation's gateways; partner admins all of the partner's. */
const MANAGERS: readonly Role[] = ['partner-admin', 'operator'];

/** The certificates without their PEM: the audit log records what changed, not the bytes. */
function auditView(gateway: GatewayThing) {
  return {
    thingName: gateway.thingName,
    organisationId: gateway.organisationId,
    certificates: gateway.certificates.map(({ certificateId, status, notAfter }) => ({
      certificateId,
      status,
      notAfter,
    })),
  };
}

const gatewayRoutes: FastifyPluginAsyncTypebox<GatewayRoutesOptions> = async (app, options) => {
  const { iot, organisations, audit } = options;

  /** The gateway, if the caller may see it: another partner's is NOT_FOUND, as a missing one is. */
  async function reachable(request: FastifyRequest, thingName: string): Promise<GatewayThing> {
    const gateway = await iot.getGateway(thingName);
    if (gateway === null) throw new DomainError('NOT_FOUND', `no gateway '${thingName}'`);
    request.authorize({ partnerId: gateway.partnerId, organisationId: gateway.organisationId });
    return gateway;
  }

  app.post(
    '/v1/gateways',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'registerGateway',
        tags: ['gateways'],
        summary: 'Register a gateway from its CSR',
        description:
          'Creates the thing in IoT Core for the organisation, signs the CSR (factory flow: the ' +
          'key pair stays on the gateway) and attaches the gateway policy. The answer holds the ' +
          'certificate to install on the gateway. 409 when the thing name is taken.',
        body: RegisterGatewayRequest,
        response: {
          201: Type.Ref('Gateway'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const { organisationId, thingName, csrPem } = request.body;
      const partnerId = request.principal!.partnerId;
      request.authorize({ partnerId, organisationId });
      await requireOrganisation(organisations, partnerId, organisationId);
      const gateway = await iot.registerGateway({ thingName, partnerId, organisationId, csrPem });
      await audit.append({
        partnerId,
        organisationId,
        actor: actorOf(request),
        action: 'gateway.registered',
        target: { type: 'gateway', id: thingName },
        after: auditView(gateway),
      });
      return reply.code(201).send(gateway);
    },
  );

  app.get(
    '/v1/gateways',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'listGateways',
        tags: ['gateways'],
        summary: 'List gateways with certificate status and last connection',
        description:
          "An organisation's gateways (operators name their organisation), or all of the " +
          "partner's (partner admins), by thing name, paginated.",
        querystring: GatewayListQuery,
        response: {
          200: Type.Ref('GatewayList'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
        },
      },
    },
    async (request) => {
      const { organisationId, limit, cursor } = request.query;
      const partnerId = request.principal!.partnerId;
      // Without an organisation the target is the partner, which only partner admins reach.
      request.authorize(
        organisationId === undefined ? { partnerId } : { partnerId, organisationId },
      );
      if (organisationId !== undefined) {
        await requireOrganisation(organisations, partnerId, organisationId);
      }
      return iot.listGateways(partnerId, {
        ...(organisationId === undefined ? {} : { organisationId }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.get(
    '/v1/gateways/:thingName',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'getGateway',
        tags: ['gateways'],
        summary: 'A gateway with its certificates and last connection',
        params: ThingParams,
        response: { 200: Type.Ref('Gateway'), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef },
      },
    },
    async (request) => reachable(request, request.params.thingName),
  );

  app.post(
    '/v1/gateways/:thingName/certificates',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'rotateGatewayCertificate',
        tags: ['gateways'],
        summary: 'Rotate: sign a new CSR for the gateway',
        description:
          'The new certificate is ACTIVE next to the old one, so the gateway can switch over; then ' +
          'set the old one INACTIVE or REVOKED. At most two certificates are ACTIVE at a time (409).',
        params: ThingParams,
        body: RotateCertificateRequest,
        response: {
          201: Type.Ref('GatewayCertificate'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request, reply) => {
      const before = await reachable(request, request.params.thingName);
      const certificate = await iot.rotateCertificate(before.thingName, request.body.csrPem);
      await audit.append({
        partnerId: before.partnerId,
        organisationId: before.organisationId,
        actor: actorOf(request),
        action: 'gateway.certificate-rotated',
        target: { type: 'gateway', id: before.thingName },
        before: auditView(before),
        after: auditView({ ...before, certificates: [certificate, ...before.certificates] }),
      });
      return reply.code(201).send(certificate);
    },
  );

  app.put(
    '/v1/gateways/:thingName/certificates/:certificateId/status',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'setGatewayCertificateStatus',
        tags: ['gateways'],
        summary: 'Deactivate, reactivate or revoke a gateway certificate',
        description:
          'INACTIVE and REVOKED close every connection that uses the certificate; REVOKED is final ' +
          '(409 on any later change).',
        params: CertificateParams,
        body: CertificateStatusRequest,
        response: {
          200: Type.Ref('Gateway'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const { thingName, certificateId } = request.params;
      const before = await reachable(request, thingName);
      // Only a certificate of this gateway: the id alone must not reach another's.
      if (!before.certificates.some((c) => c.certificateId === certificateId)) {
        throw new DomainError('NOT_FOUND', `gateway '${thingName}' has no such certificate`);
      }
      await iot.setCertificateStatus(certificateId, request.body.status);
      const after = (await iot.getGateway(thingName)) ?? before;
      await audit.append({
        partnerId: before.partnerId,
        organisationId: before.organisationId,
        actor: actorOf(request),
        action: 'gateway.certificate-status-changed',
        target: { type: 'gateway', id: thingName },
        before: auditView(before),
        after: auditView(after),
      });
      return after;
    },
  );
};

export default gatewayRoutes;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  transferProperty,
  type PropertyTransferDeps,
} from '../../domain/tenancy/property-transfer.js';
import type { PropertyStore } from '../../domain/tenancy/ports.js';
import { actorOf } from '../actor.js';
import { ErrorRef } from '../schemas/common.js';
import { PropertyParams } from '../schemas/properties.js';
import { TransferPropertyRequest } from '../schemas/property-transfers.js';
import { loadProperty, MANAGERS, partnerOf, propertyScope } from './tenancy-access.js';

export interface PropertyTransferRoutesOptions extends PropertyTransferDeps {
  properties: Pick<PropertyStore, 'get' | 'startTransfer' | 'finishTransfer'>;
}

const propertyTransferRoutes: FastifyPluginAsyncTypebox<PropertyTransferRoutesOptions> = async (
  app,
  options,
) => {
  app.post(
    '/v1/properties/:propertyId/transfer',
    {
      config: { access: { roles: MANAGERS } },
      schema: {
        operationId: 'transferProperty',
        tags: ['properties'],
        summary: 'Hand a property to another metering operator',
        description:
          'The property, its units and tenancies, and every meter it has had (removed ones ' +
          'too, so the history follows) move to `toOrganisationId`, a metering operator of ' +
          'the same partner; meter keys keep working. From then on the old operator’s users ' +
          'and API keys no longer reach any of it, the new operator’s do. One audit entry ' +
          '`property.transferred`, in both operators’ logs. For partner admins, and for ' +
          'operators whose grants reach both organisations. If the call fails halfway, the ' +
          'property shows the pending `transfer`: the same call again completes it; a transfer ' +
          'to a third organisation is refused with 409 until then. 400 when the target is no ' +
          'metering operator or already the operator; 404 when it is not the partner’s.',
        params: PropertyParams,
        body: TransferPropertyRequest,
        response: {
          200: Type.Ref('PropertyTransferSummary'),
          400: ErrorRef,
          401: ErrorRef,
          403: ErrorRef,
          404: ErrorRef,
          409: ErrorRef,
        },
      },
    },
    async (request) => {
      const partnerId = partnerOf(request);
      const body = request.body;
      const property = await loadProperty(options.properties, partnerId, request.params.propertyId);
      request.authorize(propertyScope(property));
      // Both ends: giving a building away and taking it on are each operator's business.
      const from = property.transfer?.fromOrganisationId;
      if (from !== undefined) request.authorize({ partnerId, organisationId: from });
      request.authorize({ partnerId, organisationId: body.toOrganisationId });
      return transferProperty(options, {
        partnerId,
        propertyId: property.id,
        toOrganisationId: body.toOrganisationId,
        expectedVersion: body.expectedVersion,
        actor: actorOf(request),
      });
    },
  );
};

export default propertyTransferRoutes;

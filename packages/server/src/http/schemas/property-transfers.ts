import { Type } from 'typebox';
import { StringEnum } from './common.js';
import { Id } from './tenancy-common.js';

export const TransferPropertyRequest = Type.Object(
  {
    toOrganisationId: Type.String({
      ...Id,
      description: 'The metering operator of the same partner that takes the property over.',
    }),
    expectedVersion: Type.Integer({
      minimum: 1,
      description:
        "The property's version last read; 409 when it changed meanwhile. To complete a " +
        'pending transfer, the current version or the one sent when it started.',
    }),
  },
  {
    $id: 'TransferPropertyRequest',
    additionalProperties: false,
    examples: [{ toOrganisationId: 'org_9Zb1mQ2xT7cLr0aP', expectedVersion: 4 }],
  },
);

export const PropertyTransferSummary = Type.Object(
  {
    propertyId: Type.String(),
    fromOrganisationId: Type.String(),
    toOrganisationId: Type.String(),
    at: Type.String({
      format: 'date-time',
      description: 'When the operator changed; the same for every call that completes it.',
    }),
    metersMoved: Type.Integer({
      minimum: 0,
      description:
        "The property's meters, its own and its units', removed ones included: all of them " +
        'belong to the new operator now.',
    }),
    unitsCount: Type.Integer({ minimum: 0, description: 'The units that moved with it.' }),
    state: StringEnum(['completed'] as const, {
      description:
        '`completed`: operator, meters and audit entries are through. A transfer cut short ' +
        'answers an error instead and stays pending (the property shows `transfer`).',
    }),
  },
  {
    $id: 'PropertyTransferSummary',
    additionalProperties: false,
    description: 'A completed transfer of a property to another metering operator.',
    examples: [
      {
        propertyId: 'prop_4fJx8wQe2LmN7cVb',
        fromOrganisationId: 'org_1Ab2Cd3Ef4Gh5Ij6',
        toOrganisationId: 'org_9Zb1mQ2xT7cLr0aP',
        at: '2025-03-01T09:30:00.000Z',
        metersMoved: 42,
        unitsCount: 12,
        state: 'completed',
      },
    ],
  },
);

export const propertyTransferSchemas = [TransferPropertyRequest, PropertyTransferSummary] as const;

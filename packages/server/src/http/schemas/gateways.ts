import { Type } from 'typebox';
import { StringEnum } from './common.js';

const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED'] as const;

/** As AWS IoT Core accepts thing names, and the firmware contract's client ids. */
const ThingName = Type.String({
  pattern: '^[a-zA-Z0-9:_-]{1,128}$',
  description: 'Thing name = MQTT client id = the gateway serial.',
  examples: ['solvimus-GW-0042'],
});

const CsrPem = Type.String({
  minLength: 100,
  maxLength: 16384,
  pattern: '-----BEGIN CERTIFICATE REQUEST-----',
  description:
    'PKCS#10 certificate signing request (PEM) made on the gateway or in the factory; the ' +
    'private key never leaves the device. Its subject CommonName must be the thing name.',
});

export const GatewayCertificate = Type.Object(
  {
    certificateId: Type.String({ description: 'SHA-256 fingerprint, as IoT Core names it.' }),
    certificatePem: Type.String({ description: 'The certificate (public), PEM.' }),
    status: StringEnum(CERTIFICATE_STATUSES),
    notAfter: Type.String({ format: 'date-time' }),
  },
  { $id: 'GatewayCertificate', additionalProperties: false },
);

export const Gateway = Type.Object(
  {
    thingName: Type.String(),
    partnerId: Type.String(),
    organisationId: Type.String(),
    certificates: Type.Array(Type.Ref('GatewayCertificate'), { description: 'Newest first.' }),
    lastConnectedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the gateway last connected; null if never (or not known on AWS).',
    }),
  },
  { $id: 'Gateway', additionalProperties: false },
);

export const GatewayList = Type.Object(
  {
    items: Type.Array(Type.Ref('Gateway')),
    cursor: Type.Optional(Type.String({ description: 'Pass it back for the next page.' })),
  },
  { $id: 'GatewayList', additionalProperties: false },
);

export const RegisterGatewayRequest = Type.Object(
  {
    organisationId: Type.String({ minLength: 1, maxLength: 128 }),
    thingName: ThingName,
    csrPem: CsrPem,
  },
  { $id: 'RegisterGatewayRequest', additionalProperties: false },
);

export const RotateCertificateRequest = Type.Object(
  { csrPem: CsrPem },
  { $id: 'RotateCertificateRequest', additionalProperties: false },
);

export const CertificateStatusRequest = Type.Object(
  {
    status: StringEnum(CERTIFICATE_STATUSES, {
      description:
        'INACTIVE can be undone, REVOKED cannot. Either closes the connections that use the certificate.',
    }),
  },
  { $id: 'CertificateStatusRequest', additionalProperties: false },
);

export const ThingParams = Type.Object({ thingName: ThingName });
export const CertificateParams = Type.Object({
  thingName: ThingName,
  certificateId: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export const GatewayListQuery = Type.Object({
  organisationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
});

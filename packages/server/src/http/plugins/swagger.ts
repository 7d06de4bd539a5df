import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The OpenAPI document is generated from the route schemas (the single
 * source of truth); components are named after each schema's $id.
 */
const swaggerPlugin: FastifyPluginAsync<{ version: string }> = async (app, opts) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Zählwerk API',
        version: opts.version,
        description:
          'Consumption data from wireless M-Bus meters: gateways, meters, readings and billing. ' +
          'Errors are `{"error": {"code", "message", "details"?, "requestId"}}`; `code` is stable.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: [
        { name: 'system', description: 'Health and API description' },
        { name: 'auth', description: 'Sign-in, sessions and who the caller is' },
        { name: 'gateways', description: 'Gateways, their certificates and IoT Core registration' },
        { name: 'partners', description: 'Partners (white-label tenants) and their branding' },
        { name: 'organisations', description: 'Metering operators and property managers' },
        { name: 'users', description: 'Users, their roles and their own profile' },
        {
          name: 'support-access',
          description: 'Time-limited, audited support access to an organisation',
        },
        { name: 'api-keys', description: 'API keys for integrators (shown once)' },
        { name: 'audit', description: 'The append-only log of every change' },
        { name: 'properties', description: 'Properties (buildings) served by an operator' },
        { name: 'units', description: 'Units (dwellings) of a property' },
        { name: 'tenancies', description: 'Who lives in a unit, from when to when' },
        { name: 'meters', description: 'Meters of a property or unit' },
        { name: 'widgets', description: 'Embed tokens for the widgets on partner pages' },
        { name: 'meter-keys', description: 'Importing and setting meter keys (never returned)' },
        {
          name: 'webhooks',
          description: 'Signed POSTs of readings and alarms to an organisation’s own systems',
        },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'An access token from POST /v1/auth/login (or a widget embed token).',
          },
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description: 'An API key (zwk_…), shown once when it is created.',
          },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};

export default fp(swaggerPlugin, { name: 'swagger', fastify: '5.x' });

import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDomainError, type ErrorCode } from '../../domain/errors.js';
import type { ErrorResponse } from '../schemas/common.js';

/** HTTP status of each error code: the one place the domain's codes meet HTTP. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  MONTH_NOT_ENDED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  AGGREGATION_TOO_SMALL: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

// For framework errors that carry only a status: the general code of each status.
const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_STATUS)
    .filter(
      ([code]) =>
        code !== 'INVALID_CREDENTIALS' &&
        code !== 'AGGREGATION_TOO_SMALL' &&
        code !== 'MONTH_NOT_ENDED',
    )
    .map(([code, status]) => [status, code as ErrorCode]),
);

type Details = NonNullable<ErrorResponse['error']['details']>;
type Context = NonNullable<ErrorResponse['error']['context']>;

/**
 * Codes whose details are facts meant for the caller (numbers it could
 * count itself), sent as `context`; other codes' details are for the log.
 */
const PUBLIC_CONTEXT: ReadonlySet<ErrorCode> = new Set(['AGGREGATION_TOO_SMALL']);

function contextOf(code: ErrorCode, details: unknown): Context | undefined {
  if (!PUBLIC_CONTEXT.has(code) || typeof details !== 'object' || details === null) {
    return undefined;
  }
  const entries = Object.entries(details).filter((e): e is [string, string | number | boolean] =>
    ['string', 'number', 'boolean'].includes(typeof e[1]),
  );
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function validationDetails(err: FastifyError): Details {
  const context = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = `/${context}${v.instancePath}${missing ? `/${missing}` : ''}`;
    return { path, message: v.message ?? 'is invalid' };
  });
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  vars: Record<string, string>,
  details?: Details,
  context?: Context,
) {
  const body: ErrorResponse = {
    error: {
      code,
      message: request.t(`errors.${code}`, vars),
      ...(details && details.length > 0 ? { details } : {}),
      ...(context === undefined ? {} : { context }),
      requestId: request.id,
    },
  };
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(body);
}

/**
 * Turns every failure into `{"error": {code, message, details?, requestId}}`
 * with a stable code and a message in the request's language. Server faults
 * are logged with their cause; their bodies say nothing about it.
 */
const errorsPlugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      const details = validationDetails(err);
      const detail = details.map((d) => `${d.path} ${d.message}`).join('; ');
      return send(request, reply, 'VALIDATION_FAILED', { detail }, details);
    }
    if (isDomainError(err)) {
      if (ERROR_STATUS[err.code] >= 500) request.log.error({ err }, 'domain error');
      return send(
        request,
        reply,
        err.code,
        { detail: err.message, method: request.method, url: request.url },
        undefined,
        contextOf(err.code, err.details),
      );
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = CODE_BY_STATUS.get(status) ?? 'VALIDATION_FAILED';
      return send(request, reply, code, {
        detail: err.message,
        method: request.method,
        url: request.url,
      });
    }
    request.log.error({ err }, 'unhandled error');
    return send(request, reply, status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR', {});
  });

  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 'NOT_FOUND', { method: request.method, url: request.url }),
  );
};

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x', dependencies: ['i18n'] });

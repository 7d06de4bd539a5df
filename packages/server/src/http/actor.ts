import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/audit.js';

/** Who the audit log names for a request's change: the user or the API key (its id, never the key). */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (principal === null || principal.kind === 'embed') {
    // Routes that change anything admit neither; reaching here is a bug in a route's rule.
    throw new Error(`route ${request.routeOptions.url} changes data without a user or API key`);
  }
  return { kind: principal.kind === 'api-key' ? 'api-key' : 'user', id: principal.subject };
}

import type { LimitViolation } from './limit-violation.js';

/**
 * The `$aws/...` families of IOT-CORE.md §1.8, split by what a client may do.
 * "Unsupported publish or subscribe operations to reserved topics can result
 * in a terminated connection", so anything not listed is refused. One level is
 * a literal, a set of literals (`a|b`), `{}` (any one level) or `...` (one or
 * more levels, last only).
 */
const PUBLISH = [
  // Shadow requests, classic and named (§1.9).
  '$aws/things/{}/shadow/get|update|delete',
  '$aws/things/{}/shadow/name/{}/get|update|delete',
  // Jobs requests.
  '$aws/things/{}/jobs/get|start-next',
  '$aws/things/{}/jobs/{}/get|update',
  // Fleet provisioning (§1.10).
  '$aws/certificates/create|create-from-csr/json|cbor',
  '$aws/provisioning-templates/{}/provision/json|cbor',
  // Basic Ingest: publish only (§1.13).
  '$aws/rules/{}/...',
  // Device Defender.
  '$aws/things/{}/defender/metrics/json|cbor',
  // MQTT file delivery ([verify list] in §1.8).
  '$aws/things/{}/streams/...',
];

const SUBSCRIBE = [
  '$aws/things/{}/shadow/get|update|delete/accepted|rejected',
  '$aws/things/{}/shadow/update/delta|documents',
  '$aws/things/{}/shadow/name/{}/get|update|delete/accepted|rejected',
  '$aws/things/{}/shadow/name/{}/update/delta|documents',
  '$aws/things/{}/jobs/get|start-next/accepted|rejected',
  '$aws/things/{}/jobs/{}/get|update/accepted|rejected',
  '$aws/things/{}/jobs/notify|notify-next',
  '$aws/certificates/create|create-from-csr/json|cbor/accepted|rejected',
  '$aws/provisioning-templates/{}/provision/json|cbor/accepted|rejected',
  '$aws/events/...',
  '$aws/things/{}/defender/metrics/json|cbor/accepted|rejected',
  '$aws/things/{}/tunnels/notify',
  '$aws/things/{}/streams/...',
];

type Level = { any: true } | { rest: true } | { oneOf: readonly string[] };

function compile(pattern: string): Level[] {
  return pattern.split('/').map((level) => {
    if (level === '{}') return { any: true };
    if (level === '...') return { rest: true };
    return { oneOf: level.split('|') };
  });
}

const FAMILIES = {
  publish: PUBLISH.map(compile),
  subscribe: SUBSCRIBE.map(compile),
} as const;

/**
 * Whether a topic (or a filter with `+`/`#`) can name at least one topic of a
 * family. A filter is accepted when it overlaps a family; what it may see is
 * then the policy's business.
 */
function overlaps(levels: readonly string[], pattern: readonly Level[]): boolean {
  const [level, ...restLevels] = levels;
  const [spec, ...restSpecs] = pattern;
  if (level === undefined) return spec === undefined;
  // `a/#` matches below `a` but not `a` itself on IoT Core (§1.2).
  if (level === '#') return spec !== undefined;
  if (spec === undefined) return false;
  if ('rest' in spec) return true;
  if (level !== '+' && 'oneOf' in spec && !spec.oneOf.includes(level)) return false;
  if ('any' in spec && level === '') return false;
  return overlaps(restLevels, restSpecs);
}

/**
 * Refuses a `$` topic or filter outside the known families for the operation
 * (§1.8, contract C12). Shared subscriptions `$share/<name>/<filter>` (§1.7)
 * are checked by their inner filter; other topics pass.
 */
export function checkReservedTopic(
  topicOrFilter: string,
  operation: 'publish' | 'subscribe',
): LimitViolation | null {
  let name = topicOrFilter;
  if (operation === 'subscribe') {
    const shared = /^\$share\/[^/+#]+\/(.*)$/s.exec(name);
    if (shared !== null) name = shared[1] as string;
  }
  if (!name.startsWith('$')) return null;
  const levels = name.split('/');
  if (FAMILIES[operation].some((pattern) => overlaps(levels, pattern))) return null;
  return {
    code: 'RESERVED_TOPIC',
    limit: `a known $aws topic family for ${operation} (IOT-CORE.md §1.8)`,
    actual: topicOrFilter,
    message: `${operation} on reserved topic ${topicOrFilter} is not supported`,
  };
}

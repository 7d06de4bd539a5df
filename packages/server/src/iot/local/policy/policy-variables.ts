import { literalSource, wildcardSource } from './wildcard.js';

/** The policy variables the emulator resolves (IOT-CORE.md §1.11). Others never resolve. */
export const POLICY_VARIABLE_NAMES = [
  'iot:ClientId',
  'iot:Connection.Thing.ThingName',
  'iot:Connection.Thing.IsAttached',
  'iot:Certificate.Subject.CommonName',
] as const;

export type PolicyVariableName = (typeof POLICY_VARIABLE_NAMES)[number];

/** What the broker knows about a connection; an absent value is an unset variable. */
export interface PolicyVariables {
  'iot:ClientId'?: string;
  'iot:Connection.Thing.ThingName'?: string;
  'iot:Connection.Thing.IsAttached'?: boolean;
  'iot:Certificate.Subject.CommonName'?: string;
}

/**
 * The registry's thing-name rule (IOT-CORE.md §1.3 thing limits, [verify]):
 * IoT Core cannot resolve `iot:Connection.Thing.ThingName` to anything else, so
 * a value outside it is treated as unset instead of being substituted.
 */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * Variables for a connection, resolved as IoT Core does (IOT-CORE.md §1.4,
 * §1.11): the thing is the one the client id names, and thing variables
 * resolve only when that thing is attached to the certificate; AWS's policy
 * examples: "If the device certificate is not associated with the thing, this
 * variable won't be resolved and will result in an access denied error."
 */
export function connectionPolicyVariables(connection: {
  clientId: string;
  certificateCommonName?: string;
  /** Names of the things the presented certificate is attached to. */
  attachedThingNames: readonly string[];
}): PolicyVariables {
  const attached = connection.attachedThingNames.includes(connection.clientId);
  const variables: PolicyVariables = {
    'iot:ClientId': connection.clientId,
    'iot:Connection.Thing.IsAttached': attached,
  };
  if (attached) variables['iot:Connection.Thing.ThingName'] = connection.clientId;
  if (connection.certificateCommonName !== undefined) {
    variables['iot:Certificate.Subject.CommonName'] = connection.certificateCommonName;
  }
  return variables;
}

type TemplatePart =
  | { kind: 'pattern'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'variable'; name: string };

/**
 * Splits `a/${iot:ClientId}/*` into pattern text and variables. `${*}`, `${?}`
 * and `${$}` stand for the literal characters (IAM's escape, which IoT Core
 * inherits). Null when a `${` is never closed.
 */
function parseTemplate(template: string): TemplatePart[] | null {
  const parts: TemplatePart[] = [];
  let rest = template;
  for (;;) {
    const start = rest.indexOf('${');
    if (start < 0) break;
    const end = rest.indexOf('}', start);
    if (end < 0) return null;
    if (start > 0) parts.push({ kind: 'pattern', text: rest.slice(0, start) });
    const name = rest.slice(start + 2, end);
    if (name === '*' || name === '?' || name === '$') parts.push({ kind: 'literal', text: name });
    else parts.push({ kind: 'variable', name });
    rest = rest.slice(end + 1);
  }
  if (rest !== '') parts.push({ kind: 'pattern', text: rest });
  return parts;
}

export interface SubstitutionContext {
  variables: PolicyVariables;
  /**
   * The template is a `topicfilter/` resource. A value with `+` or `#` would
   * compare literally against a subscribed filter and so grant an MQTT
   * wildcard subscription (a client id `+` reading every gateway's shadow);
   * such a value is treated as unset. Thing names cannot hold them anyway.
   */
  inTopicFilter: boolean;
}

function resolve(name: string, context: SubstitutionContext): string | null {
  if (!(POLICY_VARIABLE_NAMES as readonly string[]).includes(name)) return null;
  const raw = context.variables[name as PolicyVariableName];
  if (raw === undefined) return null;
  const value = typeof raw === 'boolean' ? String(raw) : raw;
  if (name === 'iot:Connection.Thing.ThingName' && !THING_NAME.test(value)) return null;
  if (context.inTopicFilter && /[+#]/.test(value)) return null;
  return value;
}

/**
 * Regular-expression source for a resource pattern with its variables
 * substituted. Substituted values are literal: a client id `*` must not turn
 * `topic/dev/${iot:ClientId}` into `topic/dev/*`. Null when a variable does not
 * resolve, which makes the statement not match.
 */
export function substitutePattern(template: string, context: SubstitutionContext): string | null {
  const parts = parseTemplate(template);
  if (parts === null) return null;
  let source = '';
  for (const part of parts) {
    if (part.kind === 'pattern') {
      source += wildcardSource(part.text);
    } else if (part.kind === 'literal') {
      source += literalSource(part.text);
    } else {
      const value = resolve(part.name, context);
      if (value === null) return null;
      source += literalSource(value);
    }
  }
  return source;
}

/** A condition value with its variables substituted; null when one does not resolve. */
export function substituteText(template: string, variables: PolicyVariables): string | null {
  const parts = parseTemplate(template);
  if (parts === null) return null;
  let text = '';
  for (const part of parts) {
    if (part.kind !== 'variable') {
      text += part.text;
      continue;
    }
    const value = resolve(part.name, { variables, inTopicFilter: false });
    if (value === null) return null;
    text += value;
  }
  return text;
}

/** A condition key's value from the request context; undefined when absent. */
export function conditionKeyValue(key: string, variables: PolicyVariables): string | undefined {
  return resolve(key, { variables, inTopicFilter: false }) ?? undefined;
}

import type { IotAction, PolicyDocument, PolicyStatement } from './policy-document.js';
import {
  conditionKeyValue,
  substitutePattern,
  substituteText,
  type PolicyVariables,
} from './policy-variables.js';
import { wildcardRegExp } from './wildcard.js';

/**
 * What an ARN names (IOT-CORE.md §1.11): `client/` for Connect, `topic/` for
 * Publish, Receive and RetainPublish, `topicfilter/` for Subscribe, `thing/`
 * for shadow over HTTP.
 */
export type ArnKind = 'client' | 'topic' | 'topicfilter' | 'thing';

export interface ArnScope {
  region: string;
  account: string;
}

/** `arn:aws:iot:REGION:ACCOUNT:KIND/NAME`. The name goes in verbatim: an MQTT filter stays `a/+`. */
export function buildArn(kind: ArnKind, name: string, scope: ArnScope): string {
  for (const [field, value] of Object.entries(scope)) {
    if (!/^[A-Za-z0-9-]+$/.test(value)) {
      throw new RangeError(`ARN ${field} must be letters, digits or '-', got '${value}'`);
    }
  }
  return `arn:aws:iot:${scope.region}:${scope.account}:${kind}/${name}`;
}

export interface AuthorizationRequest {
  action: IotAction;
  /** Built with `buildArn`: `topicfilter/<filter>` for Subscribe, `topic/<topic>` for messages. */
  resource: string;
  variables: PolicyVariables;
}

export type PolicyDecision = 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

/**
 * IAM's evaluation as IoT Core applies it to all policies attached to a
 * principal: any matching Deny wins, otherwise any matching Allow allows,
 * otherwise the request is denied by default.
 */
export function evaluatePolicies(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
): PolicyDecision {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.Statement) {
      if (!statementMatches(statement, request)) continue;
      if (statement.Effect === 'Deny') return 'EXPLICIT_DENY';
      allowed = true;
    }
  }
  return allowed ? 'ALLOW' : 'IMPLICIT_DENY';
}

export function isAllowed(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
): boolean {
  return evaluatePolicies(policies, request) === 'ALLOW';
}

function statementMatches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return (
    actionMatches(statement.Action, request.action) &&
    resourceMatches(statement.Resource, request) &&
    conditionMatches(statement, request.variables)
  );
}

/** Action names are case-insensitive in IAM (`iot:publish` works); wildcards apply. */
function actionMatches(patterns: string | readonly string[], action: IotAction): boolean {
  const name = action.toLowerCase();
  return list(patterns).some((pattern) => wildcardRegExp(pattern.toLowerCase()).test(name));
}

/**
 * Resources are case-sensitive. A variable that does not resolve in any of the
 * statement's resources makes the whole statement not match (IAM: an
 * unresolvable variable can make "the entire statement" invalid), for Deny as
 * for Allow, as on AWS.
 */
function resourceMatches(
  patterns: string | readonly string[],
  request: AuthorizationRequest,
): boolean {
  const context = {
    variables: request.variables,
    inTopicFilter: /^arn:aws:iot:[^:]*:[^:]*:topicfilter\//.test(request.resource),
  };
  const sources: string[] = [];
  for (const pattern of list(patterns)) {
    const source = substitutePattern(pattern, context);
    if (source === null) return false;
    sources.push(source);
  }
  return sources.some((source) => new RegExp(`^${source}$`, 'su').test(request.resource));
}

/**
 * All operators and all keys must hold; any one listed value satisfies a key.
 * A key absent from the request makes the condition false (no `...IfExists`).
 * An operator the emulator does not implement is read the safe way: such a
 * Deny applies and such an Allow does not (the validator refuses both).
 */
function conditionMatches(statement: PolicyStatement, variables: PolicyVariables): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (operator !== 'Bool' && operator !== 'StringEquals') return statement.Effect === 'Deny';
    for (const [key, expected] of Object.entries(keys ?? {})) {
      const actual = conditionKeyValue(key, variables);
      if (actual === undefined) return false;
      const holds = list(expected).some((template) => {
        const value = substituteText(template, variables);
        if (value === null) return false;
        return operator === 'Bool'
          ? value.toLowerCase() === actual.toLowerCase()
          : value === actual;
      });
      if (!holds) return false;
    }
  }
  return true;
}

function list(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

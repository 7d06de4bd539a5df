import { wildcardRegExp } from './wildcard.js';

/**
 * IoT Core policy documents as the emulator stores and evaluates them: the IAM
 * grammar narrowed to what the MQTT broker authorises (IOT-CORE.md §1.11).
 */

/** The MQTT actions the emulator's broker asks about. */
export const IOT_ACTIONS = [
  'iot:Connect',
  'iot:Publish',
  'iot:Subscribe',
  'iot:Receive',
  'iot:RetainPublish',
] as const;

export type IotAction = (typeof IOT_ACTIONS)[number];

/**
 * Condition operators the evaluator implements exactly. Anything else is refused
 * by the validator rather than half-evaluated: a condition read wrongly is a
 * permission granted or withheld by accident.
 */
export const CONDITION_OPERATORS = ['Bool', 'StringEquals'] as const;

export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** Operator → condition key → accepted values (any one of them matches). */
export type PolicyCondition = Partial<
  Record<ConditionOperator, Record<string, string | readonly string[]>>
>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** `iot:Publish`, `iot:*`, `iot:Pub*`, `*`: IAM wildcards, matched case-insensitively. */
  Action: string | readonly string[];
  /** `*` or `arn:aws:iot:REGION:ACCOUNT:{client|topic|topicfilter|thing}/…`, with wildcards and variables. */
  Resource: string | readonly string[];
  Condition?: PolicyCondition;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: readonly PolicyStatement[];
}

/**
 * "A policy document is at most 2048 characters without whitespace"
 * (IOT-CORE.md §1.3, thing limits; marked [verify current value] there).
 */
export const MAX_POLICY_DOCUMENT_CHARS = 2048;

const RESOURCE_TYPES = ['client', 'topic', 'topicfilter', 'thing'] as const;

export interface PolicyIssue {
  /** JSON pointer into the document, e.g. `/Statement/0/Action`. */
  path: string;
  message: string;
}

export type PolicyValidation =
  { ok: true; value: PolicyDocument } | { ok: false; issues: PolicyIssue[] };

/**
 * Checks a policy as the emulator's CreatePolicy would accept it: JSON text or
 * a parsed value. It never throws on bad input; callers branch on `ok`.
 */
export function validatePolicyDocument(input: unknown): PolicyValidation {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return { ok: false, issues: [{ path: '', message: 'not valid JSON' }] };
    }
  }
  const issues: PolicyIssue[] = [];
  if (!isRecord(value)) return { ok: false, issues: [{ path: '', message: 'must be an object' }] };

  const size = policyDocumentSize(value);
  if (size > MAX_POLICY_DOCUMENT_CHARS) {
    issues.push({
      path: '',
      message: `has ${size} characters without whitespace, at most ${MAX_POLICY_DOCUMENT_CHARS}`,
    });
  }
  onlyKeys(value, ['Version', 'Statement'], '', issues);
  if (value.Version !== '2012-10-17') {
    issues.push({ path: '/Version', message: 'must be "2012-10-17"' });
  }
  if (!Array.isArray(value.Statement) || value.Statement.length === 0) {
    issues.push({ path: '/Statement', message: 'must be a non-empty array' });
  } else {
    value.Statement.forEach((s, i) => validateStatement(s, `/Statement/${i}`, issues));
  }
  return issues.length === 0
    ? { ok: true, value: value as unknown as PolicyDocument }
    : { ok: false, issues };
}

/** Characters that count towards the size quota: the JSON text minus all whitespace. */
export function policyDocumentSize(document: unknown): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

function validateStatement(statement: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isRecord(statement)) {
    issues.push({ path, message: 'must be an object' });
    return;
  }
  onlyKeys(statement, ['Sid', 'Effect', 'Action', 'Resource', 'Condition'], path, issues);
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') {
    issues.push({ path: `${path}/Sid`, message: 'must be a string' });
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    issues.push({ path: `${path}/Effect`, message: 'must be "Allow" or "Deny"' });
  }
  eachString(statement.Action, `${path}/Action`, issues, (action, at) => {
    if (!isActionPattern(action)) {
      issues.push({ path: at, message: `"${action}" names none of ${IOT_ACTIONS.join(', ')}` });
    }
  });
  eachString(statement.Resource, `${path}/Resource`, issues, (resource, at) => {
    const problem = resourceProblem(resource);
    if (problem !== null) issues.push({ path: at, message: problem });
  });
  if (statement.Condition !== undefined) {
    validateCondition(statement.Condition, `${path}/Condition`, issues);
  }
}

function validateCondition(condition: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isRecord(condition)) {
    issues.push({ path, message: 'must be an object' });
    return;
  }
  for (const [operator, keys] of Object.entries(condition)) {
    const at = `${path}/${operator}`;
    if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
      issues.push({
        path: at,
        message: `operator not supported by the emulator (only ${CONDITION_OPERATORS.join(', ')})`,
      });
      continue;
    }
    if (!isRecord(keys) || Object.keys(keys).length === 0) {
      issues.push({ path: at, message: 'must map condition keys to values' });
      continue;
    }
    for (const [key, values] of Object.entries(keys)) {
      eachString(values, `${at}/${key}`, issues, () => undefined);
    }
  }
}

/** An IAM action pattern that matches at least one MQTT action we evaluate. */
function isActionPattern(pattern: string): boolean {
  const re = wildcardRegExp(pattern.toLowerCase());
  return IOT_ACTIONS.some((action) => re.test(action.toLowerCase()));
}

function resourceProblem(resource: string): string | null {
  if (resource === '*') return null;
  if (/\$\{(?![^}]*\})/.test(resource)) return `"${resource}" has an unclosed policy variable`;
  // arn:aws:iot:REGION:ACCOUNT:TYPE/NAME: REGION and ACCOUNT may be wildcards.
  const match = /^arn:aws:iot:([^:]*):([^:]*):([a-z]+)\/(.*)$/s.exec(resource);
  if (match === null) {
    return `"${resource}" must be "*" or arn:aws:iot:REGION:ACCOUNT:TYPE/NAME`;
  }
  const type = match[3] as string;
  if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
    return `resource type "${type}" is none of ${RESOURCE_TYPES.join(', ')}`;
  }
  return null;
}

function eachString(
  value: unknown,
  path: string,
  issues: PolicyIssue[],
  check: (item: string, path: string) => void,
): void {
  if (typeof value === 'string') {
    check(value, path);
  } else if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, i) => {
      if (typeof item === 'string') check(item, `${path}/${i}`);
      else issues.push({ path: `${path}/${i}`, message: 'must be a string' });
    });
  } else {
    issues.push({ path, message: 'must be a string or a non-empty array of strings' });
  }
}

function onlyKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  issues: PolicyIssue[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      // NotAction, NotResource, Principal and friends: valid IAM, but not evaluated here.
      issues.push({ path: `${path}/${key}`, message: 'is not supported by the emulator' });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

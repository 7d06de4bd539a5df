/**
 * Whether a write was refused by its ConditionExpression. By name: the SDK's
 * error classes may come from another copy of the package, so instanceof is
 * not reliable.
 */
export function isConditionFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

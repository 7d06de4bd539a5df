import { describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from './errors.js';

describe('DomainError', () => {
  it('carries a stable code and details', () => {
    const err = new DomainError('NOT_FOUND', 'meter 1 not found', { details: { meterId: '1' } });
    expect(err.code).toBe('NOT_FOUND');
    expect(err.details).toEqual({ meterId: '1' });
    expect(isDomainError(err)).toBe(true);
  });

  it('is recognised by name, so a second copy of the class still counts', () => {
    const foreign = Object.assign(new Error('x'), { name: 'DomainError', code: 'CONFLICT' });
    expect(isDomainError(foreign)).toBe(true);
    expect(isDomainError(new Error('plain'))).toBe(false);
    expect(isDomainError('DomainError')).toBe(false);
  });
});

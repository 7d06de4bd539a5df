import { describe, expect, it } from 'vitest';
import { assertRotationAllowed, MAX_ACTIVE_CERTIFICATES } from './rotation-rules.js';

describe('assertRotationAllowed', () => {
  it('allows a first rotation, one after a finished one, and a gateway without certificates', () => {
    expect(() => assertRotationAllowed('gw', ['ACTIVE'])).not.toThrow();
    expect(() => assertRotationAllowed('gw', ['ACTIVE', 'REVOKED', 'INACTIVE'])).not.toThrow();
    expect(() => assertRotationAllowed('gw', [])).not.toThrow();
  });

  it('allows a gateway whose certificates are only INACTIVE: the way back after a lost key', () => {
    expect(() => assertRotationAllowed('gw', ['INACTIVE', 'REVOKED'])).not.toThrow();
  });

  it(`refuses a third active certificate (at most ${MAX_ACTIVE_CERTIFICATES})`, () => {
    expect(() => assertRotationAllowed('gw', ['ACTIVE', 'ACTIVE', 'REVOKED'])).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        details: { reason: 'TOO_MANY_ACTIVE_CERTIFICATES', max: 2 },
      }),
    );
  });

  it('refuses a retired gateway, every certificate of which is revoked', () => {
    expect(() => assertRotationAllowed('gw', ['REVOKED', 'REVOKED'])).toThrow(
      expect.objectContaining({ code: 'CONFLICT', details: { reason: 'GATEWAY_RETIRED' } }),
    );
  });
});

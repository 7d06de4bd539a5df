import { describe, expect, it } from 'vitest';
import { connectionPolicyVariables } from './policy-variables.js';

describe('connectionPolicyVariables', () => {
  it('resolves the thing from the client id when that thing is attached to the certificate', () => {
    expect(
      connectionPolicyVariables({
        clientId: 'gw-1',
        certificateCommonName: 'gw-1',
        attachedThingNames: ['gw-1'],
      }),
    ).toEqual({
      'iot:ClientId': 'gw-1',
      'iot:Connection.Thing.ThingName': 'gw-1',
      'iot:Connection.Thing.IsAttached': true,
      'iot:Certificate.Subject.CommonName': 'gw-1',
    });
  });

  it('leaves the thing name unset when the client id names no attached thing', () => {
    const variables = connectionPolicyVariables({ clientId: 'gw-2', attachedThingNames: ['gw-1'] });
    expect(variables).toEqual({ 'iot:ClientId': 'gw-2', 'iot:Connection.Thing.IsAttached': false });
  });
});

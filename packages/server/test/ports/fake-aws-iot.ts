import { afterAll, beforeAll } from 'vitest';
import { startFakeAwsIot, type FakeAwsIot } from '../../src/iot/aws/aws-test-kit.js';

/**
 * The fake AWS IoT control and data plane for the enclosing describe block,
 * with credentials in the environment for the SDK's default chain (the fake
 * does not check them; production uses a role), restored afterwards. Call
 * `fake()` inside tests or later hooks.
 */
export function useFakeAwsIot(): { fake(): FakeAwsIot } {
  let started: FakeAwsIot | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    started = await startFakeAwsIot();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  });
  afterAll(async () => {
    await started?.close();
    process.env = saved;
  });
  return {
    fake() {
      if (started === undefined) throw new Error('the fake AWS IoT did not start');
      return started;
    },
  };
}

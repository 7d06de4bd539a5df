/** Shared fast-check property for the proprietary drivers (imported by tests only). */
import fc from 'fast-check';
import { isWmbusError } from '../../wmbus-error.js';
import type { Driver, DriverInput, OpenedFrame } from '../../types.js';

const arbAddress = fc.record({
  manufacturer: fc.oneof(
    fc.constantFrom('SAP', 'DME', 'HYD', 'TCH', 'APA', 'APT', '@0000', 'XYZ', ''),
    fc.string({ maxLength: 5 }),
  ),
  id: fc.oneof(fc.stringMatching(/^[0-9A-F]{8}$/), fc.string({ maxLength: 10 })),
  version: fc.integer({ min: -1, max: 300 }),
  deviceType: fc.integer({ min: -1, max: 300 }),
});

export const arbInput: fc.Arbitrary<DriverInput> = fc
  .record({
    link: arbAddress,
    control: fc.integer({ min: 0, max: 255 }),
    ci: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 80 }),
    key: fc.option(fc.uint8Array({ maxLength: 20 })),
  })
  .map(({ link, control, ci, payload, key }) => ({
    frame: {
      medium: 'wireless',
      control,
      link,
      meter: link,
      payloadCi: ci,
      payload,
    } as unknown as OpenedFrame,
    records: [],
    manufacturerData: null,
    key,
  }));

/** decode either returns or throws a WmbusError, for any input. */
export function assertOnlyWmbusErrors(driver: Driver, runs = 2000): void {
  fc.assert(
    fc.property(arbInput, (input) => {
      try {
        driver.decode(input);
      } catch (err) {
        if (!isWmbusError(err)) throw err;
      }
    }),
    { numRuns: runs },
  );
}

/** Same, for payloads that keep the corpus telegram's header but vary its bytes and length. */
export function assertMutationsSafe(driver: Driver, base: DriverInput, runs = 500): void {
  fc.assert(
    fc.property(
      fc.nat({ max: base.frame.payload.length }),
      fc.uint8Array({ maxLength: base.frame.payload.length + 4 }),
      (cut, noise) => {
        const payload = new Uint8Array(Math.max(cut, noise.length));
        payload.set(base.frame.payload.subarray(0, cut));
        noise.forEach((v, i) => {
          if (i >= cut) payload[i] = v;
        });
        const input = { ...base, frame: { ...base.frame, payload } };
        try {
          driver.decode(input);
        } catch (err) {
          if (!isWmbusError(err)) throw err;
        }
      },
    ),
    { numRuns: runs },
  );
}

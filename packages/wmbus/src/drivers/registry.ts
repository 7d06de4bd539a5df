import type { Driver, MeterAddress } from '../types.js';

/**
 * The drivers a decoder chooses from. Extensible: integrators register their
 * own (a higher priority wins over ours for the meters it matches).
 */
export class DriverRegistry {
  readonly #drivers: Driver[] = [];

  constructor(drivers: Iterable<Driver> = []) {
    for (const d of drivers) this.register(d);
  }

  register(driver: Driver): this {
    if (this.#drivers.some((d) => d.name === driver.name)) {
      throw new Error(`a driver named '${driver.name}' is already registered`);
    }
    this.#drivers.push(driver);
    // Stable: among equal priorities, the one registered first wins.
    this.#drivers.sort((a, b) => b.priority - a.priority);
    return this;
  }

  /** The best driver for a meter and payload CI, or undefined when none knows it. */
  select(meter: MeterAddress, payloadCi: number): Driver | undefined {
    return this.#drivers.find((d) => d.matches(meter, payloadCi));
  }

  list(): readonly Driver[] {
    return this.#drivers;
  }
}

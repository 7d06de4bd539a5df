/**
 * Running sums of a per-day quantity from an origin day, computed once and
 * kept: a cumulative register is its meter's offset plus the sum of every day
 * since the model epoch, and reading a meter every few minutes must not add
 * up years of days each time.
 */
export class DailyPrefix {
  /** sums[i] is the total of the days origin … origin + i − 1. */
  readonly #sums: number[] = [0];

  constructor(
    readonly origin: number,
    readonly term: (day: number) => number,
  ) {}

  /** The total of the days from the origin up to, not including, `day` (0 at or before the origin). */
  before(day: number): number {
    const index = day - this.origin;
    if (index <= 0) return 0;
    while (this.#sums.length <= index) {
      const last = this.#sums.length - 1;
      this.#sums.push(this.#sums[last]! + this.term(this.origin + last));
    }
    return this.#sums[index]!;
  }
}

/** One prefix per meter and quantity, dropped with the meter object. */
export function prefixCache<K extends object>(
  origin: number,
  term: (key: K, day: number) => number,
): (key: K) => DailyPrefix {
  const cache = new WeakMap<K, DailyPrefix>();
  return (key) => {
    let prefix = cache.get(key);
    if (prefix === undefined) {
      prefix = new DailyPrefix(origin, (day) => term(key, day));
      cache.set(key, prefix);
    }
    return prefix;
  };
}

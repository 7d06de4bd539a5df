/**
 * `fn` over `items` with at most `concurrency` calls in flight; results in the
 * order of `items`. Listing gateways costs one registry or control-plane read
 * per gateway, and a page of 100 fired at once would meet the store's or AWS's
 * throttling before it met any speed-up.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

import { describe, expect, it } from 'vitest';
import { everyItem } from './every-item.js';
import type { PageOptions } from './ports.js';

describe('everyItem', () => {
  const numbers = Array.from({ length: 250 }, (_, i) => i);
  const requests: PageOptions[] = [];
  const list = async (page: PageOptions) => {
    requests.push(page);
    const start = page.cursor === undefined ? 0 : Number(page.cursor);
    const end = start + (page.limit ?? 50);
    return { items: numbers.slice(start, end), cursor: end < numbers.length ? String(end) : null };
  };

  it('follows the cursor to the last page', async () => {
    requests.length = 0;
    const seen: number[] = [];
    for await (const n of everyItem(list)) seen.push(n);
    expect(seen).toEqual(numbers);
    expect(requests).toEqual([
      { limit: 100 },
      { limit: 100, cursor: '100' },
      { limit: 100, cursor: '200' },
    ]);
  });

  it('reads no further page once the caller stops', async () => {
    requests.length = 0;
    for await (const n of everyItem(list)) if (n === 5) break;
    expect(requests).toHaveLength(1);
  });
});

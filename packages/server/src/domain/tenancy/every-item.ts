import type { Page, PageOptions } from './ports.js';

/** Pages asked for at once when a caller walks a whole list. */
const PAGE_SIZE = 100;

/**
 * Every item of a paginated list, page by page, following the cursor until
 * the last page. Stops reading as soon as the caller stops iterating.
 */
export async function* everyItem<T>(
  list: (page: PageOptions) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await list({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.items;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}

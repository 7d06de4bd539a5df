import type { CallArgs, DataOf, InitOf, PathsWith } from './api-types.js';
import { ZaehlwerkError } from './errors.js';

/** The list routes: their answer is a page `{ items, cursor }`, the next page asked for by `cursor`. */
export type ListPath = {
  [P in PathsWith<'get'>]: DataOf<P, 'get'> extends {
    items: readonly unknown[];
    cursor: string | null;
  }
    ? P
    : never;
}[PathsWith<'get'>];

/** An item of a list route's pages. */
export type ItemOf<P extends ListPath> =
  DataOf<P, 'get'> extends { items: readonly (infer I)[] } ? I : never;

interface Page {
  items: readonly unknown[];
  cursor?: string | null;
}

type GetPage = (path: string, init: Record<string, unknown>) => Promise<Page>;

function aborted(signal: AbortSignal): ZaehlwerkError {
  return new ZaehlwerkError({
    status: 0,
    code: 'ABORTED',
    message: 'the call was aborted',
    cause: signal.reason,
  });
}

/**
 * Every item of a list route, page after page, each page asked for when the
 * previous one is used up. Ends after the page without a cursor; throws
 * ABORTED once `signal` aborts, between pages or items too.
 */
export async function* paginate<P extends ListPath>(
  getPage: GetPage,
  path: P,
  ...[init]: CallArgs<InitOf<P, 'get'>>
): AsyncGenerator<ItemOf<P>, void, undefined> {
  const base = (init ?? {}) as Record<string, unknown> & {
    params?: { query?: Record<string, unknown> };
    signal?: AbortSignal;
  };
  const signal = base.signal;
  let cursor = base.params?.query?.cursor as string | undefined;
  for (;;) {
    if (signal?.aborted) throw aborted(signal);
    const query = { ...base.params?.query, ...(cursor === undefined ? {} : { cursor }) };
    const page = await getPage(path, { ...base, params: { ...base.params, query } });
    for (const item of page.items) {
      if (signal?.aborted) throw aborted(signal);
      yield item as ItemOf<P>;
    }
    if (page.cursor === null || page.cursor === undefined || page.cursor === '') return;
    cursor = page.cursor;
  }
}

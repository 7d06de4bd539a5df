/** One service behind the broker's single `onServiceMessage` hook. */
export interface ServiceRoute<M extends { topic: string }> {
  /** Topic prefixes this service answers, e.g. `$aws/things/`. */
  prefixes: readonly string[];
  handle(message: M): Promise<void> | void;
}

/**
 * Fans the broker's one `onServiceMessage` hook out to the services that share
 * it (Device Shadow §1.9, fleet provisioning §1.10), by topic prefix. The
 * first route with a matching prefix gets the message; a topic no route claims
 * is dropped, as IoT Core has no subscriber behind an unknown reserved topic.
 * Whatever the handler throws reaches the broker, which reports it as
 * `SERVICE_HANDLER_FAILED`.
 *
 * @example
 * onServiceMessage: routeServiceMessages([
 *   { prefixes: ['$aws/things/'], handle: (m) => shadows.handleMessage(m) },
 *   { prefixes: PROVISIONING_TOPIC_PREFIXES, handle: (m) => provisioning.handleMessage(m) },
 * ])
 */
export function routeServiceMessages<M extends { topic: string }>(
  routes: readonly ServiceRoute<M>[],
): (message: M) => Promise<void> {
  const table = routes.map((route) => ({ ...route, prefixes: [...route.prefixes] }));
  return async (message) => {
    const route = table.find((r) => r.prefixes.some((prefix) => message.topic.startsWith(prefix)));
    if (route !== undefined) await route.handle(message);
  };
}

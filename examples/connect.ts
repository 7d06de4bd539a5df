// What the examples share: how they reach the API (the environment, or `npm start`'s demo), and
// where their output goes. Not an example itself.
import { pathToFileURL } from 'node:url';
import { createClient, type Property, type ZaehlwerkClient } from '@zaehlwerk/sdk';

export interface Connection {
  /** ZW_BASE_URL; `npm start` listens on http://127.0.0.1:3000. */
  baseUrl: string;
  /** ZW_API_KEY: an API key (`npm start` prints the demo operator's once, at its first start). */
  apiKey?: string;
  /** ZW_EMAIL, ZW_PASSWORD, ZW_PARTNER: a login, used when there is no API key. */
  email?: string;
  password?: string;
  partner?: string;
}

/** The demo operator `npm start` seeds (its logins are printed at start, and fixed). */
export const DEMO_OPERATOR = {
  email: 'operator@stadtwerke-musterstadt.example',
  password: 'demo-operator-1234',
  partner: 'demo',
} as const;

/** What every example's main() takes besides its own options. */
export interface ExampleOptions {
  /** Where and as whom; from the environment when absent. */
  connection?: Connection;
  /** Where the lines of output go; the console when absent. */
  log?: (line: string) => void;
}

export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): Connection {
  return {
    baseUrl: env.ZW_BASE_URL ?? 'http://127.0.0.1:3000',
    ...(env.ZW_API_KEY ? { apiKey: env.ZW_API_KEY } : {}),
    email: env.ZW_EMAIL ?? DEMO_OPERATOR.email,
    password: env.ZW_PASSWORD ?? DEMO_OPERATOR.password,
    partner: env.ZW_PARTNER ?? DEMO_OPERATOR.partner,
  };
}

/** A client signed with the API key, or signed in with the login (which it then refreshes itself). */
export async function connect(connection: Connection): Promise<ZaehlwerkClient> {
  if (connection.apiKey !== undefined) {
    return createClient({ baseUrl: connection.baseUrl, apiKey: connection.apiKey });
  }
  const zw = createClient({ baseUrl: connection.baseUrl });
  if (connection.email === undefined || connection.password === undefined) {
    throw new Error('set ZW_API_KEY, or ZW_EMAIL and ZW_PASSWORD');
  }
  await zw.login({
    email: connection.email,
    password: connection.password,
    ...(connection.partner === undefined ? {} : { partner: connection.partner }),
  });
  return zw;
}

/** The property an example works on: the given one, or the caller's organisation's first. */
export async function findProperty(zw: ZaehlwerkClient, propertyId?: string): Promise<Property> {
  if (propertyId !== undefined) {
    return zw.get('/v1/properties/{propertyId}', { params: { path: { propertyId } } });
  }
  const me = await zw.get('/v1/me');
  const organisationId = me.grants.find((g) => g.organisationId !== undefined)?.organisationId;
  if (organisationId === undefined) {
    throw new Error('no organisation in the grants: name the property (ZW_PROPERTY_ID)');
  }
  for await (const property of zw.paginate('/v1/properties', {
    params: { query: { organisationId } },
  })) {
    return property;
  }
  throw new Error(`organisation ${organisationId} has no property`);
}

/** Whether the module is the script node (or tsx) was started with, rather than imported. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

/** Runs an example's main() as a script: its errors on stderr and a failing exit code. */
export function runAsScript(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
      process.exit(1);
    },
  );
}

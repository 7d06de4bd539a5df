import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What the command needs from its process; tests pass their own. */
export interface GatewayCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  fetch?: typeof fetch;
}

export const GATEWAY_USAGE = `Usage: zw-server gateway <command> [options]

Manage gateways through the platform's API, as an operator (every change is
checked against your roles and recorded in the audit log).

Commands:
  list [--org ORG]                        gateways with certificate status and last connection
  show THING                              one gateway, as JSON
  register --org ORG --thing THING --csr FILE [--out FILE]
                                          register from the gateway's CSR; prints its certificate
  rotate THING --csr FILE [--out FILE]    a new certificate beside the current one
  deactivate THING CERTIFICATE_ID         set a certificate INACTIVE (closes its connections)
  activate THING CERTIFICATE_ID           set it ACTIVE again
  revoke THING CERTIFICATE_ID             revoke it for good (closes its connections)

Connection (flag, or environment variable):
  --url URL          ZW_API_URL      the API (default http://127.0.0.1:3000)
  --api-key KEY      ZW_API_KEY      an API key with the operator or partner-admin role
  --token TOKEN      ZW_TOKEN        or a user's access token
`;

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class UsageError extends Error {}

interface ApiError {
  error?: { code?: string; message?: string };
}

export async function runGatewayCommand(argv: string[], io: GatewayCommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        token: { type: 'string' },
        org: { type: 'string' },
        thing: { type: 'string' },
        csr: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`zw-server gateway: ${(err as Error).message}\n\n${GATEWAY_USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help === true || command === undefined) {
    io.stdout(GATEWAY_USAGE);
    return command === undefined && values.help !== true ? EXIT.usage : EXIT.ok;
  }

  const base = (values.url ?? io.env['ZW_API_URL'] ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const apiKey = values['api-key'] ?? io.env['ZW_API_KEY'];
  const token = values.token ?? io.env['ZW_TOKEN'];
  const doFetch = io.fetch ?? fetch;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    else if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await doFetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json: unknown = text === '' ? null : JSON.parse(text);
    if (!res.ok) {
      const { error } = (json ?? {}) as ApiError;
      throw new Error(`${error?.code ?? res.status}: ${error?.message ?? res.statusText}`);
    }
    return json;
  }

  const need = (value: string | undefined, what: string): string => {
    if (value === undefined || value === '') throw new UsageError(`${command} needs ${what}`);
    return value;
  };
  const thingPath = (thing: string) => `/v1/gateways/${encodeURIComponent(thing)}`;
  const readCsr = async () => readFile(resolve(io.cwd, need(values.csr, '--csr FILE')), 'utf8');
  async function emitCertificate(pem: string): Promise<void> {
    if (values.out === undefined) io.stdout(pem.endsWith('\n') ? pem : `${pem}\n`);
    else {
      await writeFile(resolve(io.cwd, values.out), pem);
      io.stdout(`certificate written to ${values.out}\n`);
    }
  }
  const setStatus = async (status: string) => {
    const [thing, certificateId] = [need(args[0], 'THING'), need(args[1], 'CERTIFICATE_ID')];
    await call(
      'PUT',
      `${thingPath(thing)}/certificates/${encodeURIComponent(certificateId)}/status`,
      {
        status,
      },
    );
    io.stdout(`${thing}: certificate ${certificateId} is ${status}\n`);
  };

  try {
    if (apiKey === undefined && token === undefined) {
      throw new UsageError('give --api-key (ZW_API_KEY) or --token (ZW_TOKEN)');
    }
    switch (command) {
      case 'list': {
        const rows: string[] = [];
        let cursor: string | undefined;
        do {
          const query = new URLSearchParams({
            ...(values.org === undefined ? {} : { organisationId: values.org }),
            ...(cursor === undefined ? {} : { cursor }),
          });
          const page = (await call('GET', `/v1/gateways?${query.toString()}`)) as {
            items: Gateway[];
            cursor?: string;
          };
          rows.push(...page.items.map(gatewayRow));
          cursor = page.cursor;
        } while (cursor !== undefined);
        io.stdout(
          [
            `${'THING'.padEnd(28)} ${'ORGANISATION'.padEnd(16)} ${'LAST CONNECTED'.padEnd(24)} CERTIFICATES`,
            ...rows,
          ].join('\n') + '\n',
        );
        return EXIT.ok;
      }
      case 'show':
        io.stdout(
          `${JSON.stringify(await call('GET', thingPath(need(args[0], 'THING'))), null, 2)}\n`,
        );
        return EXIT.ok;
      case 'register': {
        const gateway = (await call('POST', '/v1/gateways', {
          organisationId: need(values.org, '--org ORG'),
          thingName: need(values.thing, '--thing THING'),
          csrPem: await readCsr(),
        })) as Gateway;
        await emitCertificate(gateway.certificates[0]!.certificatePem);
        return EXIT.ok;
      }
      case 'rotate': {
        const certificate = (await call(
          'POST',
          `${thingPath(need(args[0], 'THING'))}/certificates`,
          { csrPem: await readCsr() },
        )) as { certificatePem: string };
        await emitCertificate(certificate.certificatePem);
        return EXIT.ok;
      }
      case 'deactivate':
        await setStatus('INACTIVE');
        return EXIT.ok;
      case 'activate':
        await setStatus('ACTIVE');
        return EXIT.ok;
      case 'revoke':
        await setStatus('REVOKED');
        return EXIT.ok;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`zw-server gateway: ${err.message}\n\n${GATEWAY_USAGE}`);
      return EXIT.usage;
    }
    io.stderr(`zw-server gateway: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
}

interface Gateway {
  thingName: string;
  organisationId: string;
  lastConnectedAt: string | null;
  certificates: { certificateId: string; certificatePem: string; status: string }[];
}

function gatewayRow(g: Gateway): string {
  const certificates = g.certificates
    .map((c) => `${c.certificateId.slice(0, 12)}… ${c.status}`)
    .join(', ');
  return `${g.thingName.padEnd(28)} ${g.organisationId.padEnd(16)} ${(g.lastConnectedAt ?? 'never').padEnd(24)} ${certificates}`;
}

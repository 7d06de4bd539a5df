/**
 * Test helpers for this folder: a gateway factory's side of provisioning
 * (key and CSR made on the device; the private key stays with it) and one
 * mutual-TLS exchange over loopback. Not used by production code.
 */
import { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { x509 } from './x509.js';

export type GatewayKeyType = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-1024';

export interface GatewayKeyAndCsr {
  csrPem: string;
  /** What the gateway hands to its own TLS stack; it never leaves the device. */
  privateKeyPem: string;
}

export async function makeGatewayCsr(
  keyType: GatewayKeyType,
  name: string | undefined,
  extensions: x509.Extension[] = [],
): Promise<GatewayKeyAndCsr> {
  const rsaBits = { 'RSA-2048': 2048, 'RSA-1024': 1024 } as Record<string, number>;
  const bits = rsaBits[keyType];
  const algorithm =
    bits === undefined
      ? { name: 'ECDSA', namedCurve: keyType, hash: keyType === 'P-256' ? 'SHA-256' : 'SHA-384' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: bits,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(name === undefined ? {} : { name }),
    keys,
    signingAlgorithm: algorithm,
    extensions,
  });
  return {
    csrPem: csr.toString('pem'),
    privateKeyPem: KeyObject.from(keys.privateKey)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
}

export interface TlsParty {
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
}

export type MutualTlsOutcome =
  | { ok: true; peerCertificateDer: Buffer; received: string }
  | {
      ok: false;
      /** OpenSSL's verification code when the server refused the client's certificate. */
      serverError: string | undefined;
      clientError: string | undefined;
    };

/**
 * One connection from `client` to a server that demands a client certificate
 * from its CA, as the emulator's broker will. The server greets only after the
 * handshake has verified the client, so a greeting proves mutual TLS worked.
 */
export async function tryMutualTls(server: TlsParty, client: TlsParty): Promise<MutualTlsOutcome> {
  let serverError: string | undefined;
  let peerCertificateDer: Buffer | undefined;
  const tlsServer = createServer({
    key: server.privateKeyPem,
    cert: server.certificatePem,
    ca: [server.caPem],
    requestCert: true,
    rejectUnauthorized: true,
  });
  tlsServer.on('tlsClientError', (err, socket) => {
    // With rejectUnauthorized, node drops the socket after the handshake; the reason
    // (e.g. CERT_HAS_EXPIRED) is left on the socket, the error itself is a bare hang-up.
    serverError = String(socket.authorizationError ?? err.message);
  });
  tlsServer.on('secureConnection', (socket) => {
    peerCertificateDer = socket.getPeerCertificate().raw;
    socket.end('hello gateway');
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const { port } = tlsServer.address() as AddressInfo;
  let received = '';
  let clientError: string | undefined;
  try {
    received = await new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost', // SNI, which IoT Core requires; also the name the client checks
        ca: [client.caPem],
        key: client.privateKeyPem,
        cert: client.certificatePem,
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    });
  } catch (err) {
    clientError = (err as Error).message;
  }
  // Closing waits for the server's side of the socket, so its error is recorded by then.
  await new Promise((resolve) => tlsServer.close(resolve));
  if (received === 'hello gateway' && peerCertificateDer !== undefined) {
    return { ok: true, peerCertificateDer, received };
  }
  return { ok: false, serverError, clientError: clientError ?? `ended after "${received}"` };
}

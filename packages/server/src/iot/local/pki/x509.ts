/**
 * The only door to @peculiar/x509. The library reads decorator metadata at load
 * time, so `reflect-metadata` must be imported before it, and it needs a WebCrypto
 * provider; doing both here, once, means no other module can load it half-ready.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };

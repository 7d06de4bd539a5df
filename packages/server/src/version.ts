import pkg from '../package.json' with { type: 'json' };

/** The server's release; also the `info.version` of its OpenAPI document. */
export const VERSION: string = pkg.version;

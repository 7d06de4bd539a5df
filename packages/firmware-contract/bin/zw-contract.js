#!/usr/bin/env node
// The bin points here rather than into dist/ so that npm can link it before
// the first build; it runs the built CLI.
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write(
      'zw-contract is not built yet: run `npm run build` at the repository root.\n',
    );
    process.exit(2);
  }
  throw err;
});

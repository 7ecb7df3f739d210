#!/usr/bin/env node
// The `bosun` command: runs the compiled CLI (dist/ is built by `npm run build`, which
// `npm install` runs through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'bosun: error: the CLI is not built (dist/src/cli/main.js is missing).\n' +
      'Run `npm install` in the Bosun folder (it builds through the prepare script), or `npm run build`.\n',
  );
  process.exit(1);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));

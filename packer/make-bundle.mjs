#!/usr/bin/env node
// The self-contained Bosun that Packer uploads into a build that has no SSH (the docker
// builder): one archive holding this machine's `node`, Bosun as one JavaScript file, a
// package.json (Bosun finds its roles beside it) and Bosun's roles, each compiled to one file.
//   npm run bundle                              -> dist/bosun-bundle.tar.gz
//   node packer/make-bundle.mjs OUT.tar.gz
// Inside the build: tar -xzf bosun-bundle.tar.gz -C DIR && DIR/node DIR/bosun.js run ...
// The node binary is linked against this machine's glibc: the image needs the same or newer
// (Debian 12 and Ubuntu 24.04 both do for Node 20).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist', 'bosun-bundle.tar.gz'));

// CommonJS dependencies (ssh2, commander...) inside an ES module need these names.
const banner = [
  "import { createRequire as __bosunRequire } from 'node:module';",
  "import { fileURLToPath as __bosunPath } from 'node:url';",
  'const require = __bosunRequire(import.meta.url);',
  'const __filename = __bosunPath(import.meta.url);',
  "const __dirname = __bosunPath(new URL('.', import.meta.url));",
].join(' ');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // Optional native speed-ups of ssh2: it falls back to JavaScript without them.
  external: ['cpu-features', '*.node'],
  banner: { js: banner },
  logLevel: 'warning',
};

const stage = mkdtempSync(join(tmpdir(), 'bosun-bundle-'));
try {
  const dir = join(stage, 'bosun');
  mkdirSync(dir);
  await build({
    ...common,
    stdin: {
      contents: "import { run } from './src/cli/main.ts';\nawait run(process.argv.slice(2));\n",
      resolveDir: root,
      sourcefile: 'bosun-bundle-entry.ts',
      loader: 'ts',
    },
    outfile: join(dir, 'bosun.js'),
  });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2)}\n`,
  );
  for (const role of readdirSync(join(root, 'roles'), { withFileTypes: true })) {
    if (!role.isDirectory()) continue;
    const from = join(root, 'roles', role.name);
    const to = join(dir, 'roles', role.name);
    // Templates and files as they are; the TypeScript becomes one index.js, which the role
    // loader prefers when Bosun runs compiled.
    cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith('.ts') && !path.endsWith('.md') });
    await build({ ...common, entryPoints: [join(from, 'index.ts')], outfile: join(to, 'index.js') });
  }
  copyFileSync(process.execPath, join(dir, 'node'));
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('tar', ['-czf', out, '-C', dir, '.']);
  process.stdout.write(`${out}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

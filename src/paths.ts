import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Bosun's package.json. Code runs from src/ (vitest) and from dist/src/
 * (the build), at different depths, so paths to shipped files (image recipes, roles,
 * schemas) are found from here rather than by counting `..`.
 */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`bosun: no package.json above ${here}`);
    dir = parent;
  }
  return dir;
}

/** Where the compiled copy of a source file lives, relative to the package root. */
export const BUILD_DIR = 'dist';

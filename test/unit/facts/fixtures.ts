import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult } from '../../../src/transport/types.js';
import { parseDocument } from '../../../src/vendor/yaml.js';

export interface FactFixture {
  name: string;
  description: string;
  output: Partial<ExecResult>;
  expect?: unknown;
  error?: string;
  [key: string]: unknown;
}

/** Recorded (or hand-written, when said) gather outputs of one parser. */
export function factFixtures(parser: string): FactFixture[] {
  const dir = join('test/fixtures/facts', parser);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const data = parseDocument(readFileSync(join(dir, name), 'utf8')).toJS() as Omit<FactFixture, 'name'>;
      return { ...data, name: name.replace(/\.yaml$/, '') } as FactFixture;
    });
}

export function execResult(partial: Partial<ExecResult>): ExecResult {
  return { code: 0, stdout: '', stderr: '', durationMs: 1, ...partial };
}

/**
 * slurp: a file's bytes from the host, base64-encoded in the registered result (`content`),
 * as Ansible's slurp returns them. Never changes anything.
 * The whole file travels in the result: meant for small files (keys, tokens, configs).
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import { decodeEncoded, encoderScript } from '../facts/file-bytes.js';
import { parseReport, single } from '../facts/report.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { moduleFailure } from './failure.js';
import type { ArgIssue, ModuleDefinition } from './types.js';

export const SlurpArgs = Type.Object(
  {
    src: Type.Optional(
      Type.String({ minLength: 1, description: 'The file to read on the host (alias: path).' }),
    ),
    path: Type.Optional(Type.String({ minLength: 1, description: 'Alias of src.' })),
  },
  { additionalProperties: false },
);
export type SlurpArgs = Static<typeof SlurpArgs>;

export interface SlurpFacts {
  bytes: Buffer;
}

function srcOf(args: SlurpArgs): string {
  const src = args.src ?? args.path;
  if (src === undefined) throw new BosunError('BOSUN_INPUT', 'slurp: src is required');
  return src;
}

export function checkSlurpArgs(args: SlurpArgs): ArgIssue[] {
  if (args.src === undefined && args.path === undefined) return [{ message: 'src is required' }];
  if (args.src !== undefined && args.path !== undefined) {
    return [{ key: 'path', message: 'src and path name the same argument: give one' }];
  }
  return [];
}

export function slurpScript(src: string): RawShell {
  return raw(
    [
      encoderScript(),
      sh`p=${src}`,
      raw('if [ -d "$p" ]; then echo problem=directory; exit 0; fi'),
      raw('if [ ! -e "$p" ]; then echo problem=missing; exit 0; fi'),
      raw('if [ ! -r "$p" ]; then echo problem=unreadable; exit 0; fi'),
      raw('echo content:'),
      raw('enc < "$p"'),
    ]
      .map((line) => line.text)
      .join('\n'),
  );
}

const PROBLEMS: Record<string, string> = {
  directory: 'source is a directory and must be a file',
  missing: 'file not found',
  unreadable: 'file is not readable',
};

export function parseSlurp(result: ExecResult, src: string): SlurpFacts {
  const report = parseReport(result.stdout);
  const problem = single(report, 'problem');
  if (problem !== undefined) throw moduleFailure(`${PROBLEMS[problem] ?? problem}: ${src}`, { src });
  if (result.code !== 0 || report.content === undefined) {
    throw moduleFailure(`cannot read ${src}: ${result.stderr.trim() || `exit code ${result.code}`}`, {
      src,
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  return { bytes: decodeEncoded(report, report.content) };
}

export const slurpModule: ModuleDefinition<SlurpArgs, SlurpFacts> = {
  name: 'slurp',
  description:
    "Read a file from the host into the result, base64-encoded (Ansible's slurp); changes nothing.",
  schema: SlurpArgs,
  kind: 'plan',
  checkArgs: checkSlurpArgs,
  reads: (args) => [srcOf(args)],
  gather: (args) => slurpScript(srcOf(args)),
  parse: (result, args) => parseSlurp(result, srcOf(args)),
  plan(args, facts) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'slurp: planned without facts');
    const src = srcOf(args);
    return {
      changed: false,
      reason: `read ${src} (${facts.bytes.length} bytes)`,
      result: { content: facts.bytes.toString('base64'), encoding: 'base64', source: src },
    };
  },
};

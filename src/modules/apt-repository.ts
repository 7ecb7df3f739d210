/**
 * apt_repository: an APT source in its own file under /etc/apt/sources.list.d (deb822
 * `.sources` by default, or a one-line `.list`), trusted through its own keyring in
 * /etc/apt/keyrings named by `Signed-By` — never apt-key's global keyring. The key is given
 * inline (ASCII-armored), as a controller file (armored or binary) or as a URL fetched on the
 * host; apt reads armored keyrings named *.asc and binary ones named *.gpg, so no gpg is needed.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  type DebSourcesFacts,
  debSourcesScript,
  type FileFacts,
  KEYRINGS_DIR,
  type ManagedFile,
  parseDebSources,
} from '../facts/deb-sources.js';
import type { Effect } from '../predict/effects.js';
import { sh } from '../transport/quote.js';
import { payloadOf } from '../transport/verified-write.js';
import { finishAptSteps, updateStep } from './apt.js';
import { moduleFailure } from './failure.js';
import { sha256Of, writeScript } from './file-write.js';
import { isTemplated } from './templated.js';
import type { ArgIssue, Diff, ModuleDefinition, Plan, Step } from './types.js';

export const SOURCES_DIR = '/etc/apt/sources.list.d';

export const AptRepositoryArgs = Type.Object(
  {
    repo: Type.String({
      minLength: 1,
      description:
        'The source in one-line form, as in sources.list: "deb [arch=amd64] https://example.org/debian bookworm main", or a flat repository "deb https://example.org/repo ./".',
    }),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'present: the source file (and keyring) as described. absent: both removed.',
      }),
    ),
    filename: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Name of the source file and keyring, without extension (letters, digits, _ . -). Default: from the URI ("https://example.org/debian" -> example_org_debian).',
      }),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal('deb822'), Type.Literal('one_line')], {
        default: 'deb822',
        description:
          'deb822: <filename>.sources with Types/URIs/Suites/Components fields. one_line: <filename>.list with the repo line. The file of the other format is removed.',
      }),
    ),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The repository signing key, ASCII-armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----"); installed as /etc/apt/keyrings/<filename>.asc and named by Signed-By.',
      }),
    ),
    key_src: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "The signing key as a file on the controller, ASCII-armored (installed as <filename>.asc) or binary (<filename>.gpg). Relative: the role's files/, then the playbook folder.",
      }),
    ),
    key_url: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The signing key fetched on the host from this http(s) URL, armored or binary.',
      }),
    ),
    update_cache: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Refresh the package lists (apt-get update) when the source or its key changed.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AptRepositoryArgs = Static<typeof AptRepositoryArgs> & {
  /** Bytes of key_src, read by prepare. */
  keyBytes?: Buffer;
};

export interface RepoLine {
  type: 'deb' | 'deb-src';
  /** One-line options in order: [name, value]. */
  options: [string, string][];
  uri: string;
  suite: string;
  components: string[];
}

/** One-line option -> deb822 field (sources.list(5)). */
const OPTION_FIELDS: Record<string, string> = {
  arch: 'Architectures',
  lang: 'Languages',
  target: 'Targets',
  pdiffs: 'PDiffs',
  'by-hash': 'By-Hash',
  'allow-insecure': 'Allow-Insecure',
  'allow-weak': 'Allow-Weak',
  'allow-downgrade-to-insecure': 'Allow-Downgrade-To-Insecure',
  trusted: 'Trusted',
  'signed-by': 'Signed-By',
  'check-valid-until': 'Check-Valid-Until',
  'valid-until-min': 'Valid-Until-Min',
  'valid-until-max': 'Valid-Until-Max',
  'check-date': 'Check-Date',
  'date-max-future': 'Date-Max-Future',
  'inrelease-path': 'InRelease-Path',
  snapshot: 'Snapshot',
};
/** Options whose comma-separated values are lists (space-separated in deb822). */
const LIST_OPTIONS = new Set(['arch', 'lang', 'target']);

export function parseRepoLine(line: string): RepoLine | string {
  if (/[\r\n]/.test(line.trim())) return 'repo must be one line';
  let rest = line.trim();
  const type = rest.split(/\s+/, 1)[0];
  if (type !== 'deb' && type !== 'deb-src') return `repo must start with "deb" or "deb-src", not "${type}"`;
  rest = rest.slice(type.length).trim();
  const options: [string, string][] = [];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return 'repo: "[" without "]"';
    for (const word of rest.slice(1, close).trim().split(/\s+/).filter(Boolean)) {
      const match = /^([a-z-]+)=(.+)$/.exec(word);
      if (!match) return `repo: option "${word}" is not name=value (+= and -= are not supported)`;
      const name = match[1] as string;
      if (!(name in OPTION_FIELDS)) return `repo: unknown option "${name}"`;
      options.push([name, match[2] as string]);
    }
    rest = rest.slice(close + 1).trim();
  }
  const [uri, suite, ...components] = rest.split(/\s+/).filter(Boolean);
  if (!uri || !/^[a-z][a-z0-9+.-]*:\S+$/.test(uri)) return 'repo: expected a URI like https://host/path';
  if (!suite) return 'repo: a suite is needed after the URI (e.g. bookworm, or ./ for a flat repository)';
  if (suite.endsWith('/') && components.length > 0) {
    return `repo: suite "${suite}" is an exact path: it takes no components`;
  }
  if (!suite.endsWith('/') && components.length === 0) {
    return `repo: suite "${suite}" needs at least one component (e.g. main)`;
  }
  return { type, options, uri, suite, components };
}

/** Ansible's default name: the URI without scheme and credentials, other characters as "_". */
export function defaultFilename(uri: string): string {
  const bare = uri.replace(/^[a-z][a-z0-9+.-]*:\/*/, '').replace(/^[^/@]*@/, '');
  return (
    bare
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .join('_') || 'repository'
  );
}

const FILENAME = /^[A-Za-z0-9_.-]+$/;

function filenameOf(args: AptRepositoryArgs, line: RepoLine): string {
  const given = args.filename?.replace(/\.(list|sources)$/, '');
  return given ?? defaultFilename(line.uri);
}

function repoLine(args: AptRepositoryArgs): RepoLine {
  const line = parseRepoLine(args.repo);
  if (typeof line === 'string') throw new BosunError('BOSUN_INPUT', line);
  return line;
}

function isUrl(value: string): boolean {
  return /^https?:\/\//.test(value);
}

const ARMOR = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

export function checkAptRepositoryArgs(args: AptRepositoryArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  let line: RepoLine | string | undefined;
  if (!isTemplated(args.repo)) {
    line = parseRepoLine(args.repo);
    if (typeof line === 'string') issues.push({ key: 'repo', message: line });
  }
  if (args.filename !== undefined && !isTemplated(args.filename) && !FILENAME.test(args.filename)) {
    issues.push({
      key: 'filename',
      message: 'filename may hold only letters, digits, "_", "." and "-" (apt ignores other files)',
    });
  }
  const keys = (['key', 'key_src', 'key_url'] as const).filter((name) => args[name] !== undefined);
  if (keys.length > 1) issues.push({ key: keys[1], message: `${keys.join(' and ')} are mutually exclusive` });
  if (args.key !== undefined && !isTemplated(args.key) && !args.key.includes(ARMOR)) {
    issues.push({ key: 'key', message: `key must be an ASCII-armored public key (${ARMOR})` });
  }
  if (args.key_url !== undefined && !isTemplated(args.key_url) && !isUrl(args.key_url)) {
    issues.push({ key: 'key_url', message: 'key_url must be an http(s) URL' });
  }
  if (keys.length > 0 && typeof line === 'object' && line.options.some(([name]) => name === 'signed-by')) {
    issues.push({ key: keys[0], message: 'the repo line names its own signed-by: give no key' });
  }
  return issues;
}

interface Paths {
  name: string;
  sources: string;
  list: string;
  asc: string;
  gpg: string;
}

function paths(args: AptRepositoryArgs): Paths {
  const name = filenameOf(args, repoLine(args));
  return {
    name,
    sources: `${SOURCES_DIR}/${name}.sources`,
    list: `${SOURCES_DIR}/${name}.list`,
    asc: `${KEYRINGS_DIR}/${name}.asc`,
    gpg: `${KEYRINGS_DIR}/${name}.gpg`,
  };
}

export function managedFiles(args: AptRepositoryArgs): ManagedFile[] {
  const p = paths(args);
  return [
    { key: 'sources', path: p.sources, text: true },
    { key: 'list', path: p.list, text: true },
    { key: 'asc', path: p.asc },
    { key: 'gpg', path: p.gpg },
  ];
}

/** The source file's content in either format. */
export function renderSource(line: RepoLine, format: 'deb822' | 'one_line', signedBy?: string): string {
  const options = [...line.options];
  if (signedBy !== undefined) options.push(['signed-by', signedBy]);
  if (format === 'one_line') {
    const opts = options.length > 0 ? ` [${options.map(([k, v]) => `${k}=${v}`).join(' ')}]` : '';
    return `${line.type}${opts} ${[line.uri, line.suite, ...line.components].join(' ')}\n`;
  }
  const fields: [string, string][] = [
    ['Types', line.type],
    ['URIs', line.uri],
    ['Suites', line.suite],
  ];
  if (line.components.length > 0) fields.push(['Components', line.components.join(' ')]);
  for (const [name, value] of options) {
    fields.push([OPTION_FIELDS[name] as string, LIST_OPTIONS.has(name) ? value.split(',').join(' ') : value]);
  }
  return fields.map(([name, value]) => `${name}: ${value}\n`).join('');
}

type KeyKind = 'asc' | 'gpg';

/** Whether bytes are an armored key or a binary OpenPGP public key (packet tag 6). */
export function keyKind(bytes: Buffer): KeyKind | undefined {
  const text = bytes.toString('latin1');
  if (text.includes(ARMOR)) return 'asc';
  const first = bytes[0];
  if (first === undefined || (first & 0x80) === 0) return undefined;
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return tag === 6 ? 'gpg' : undefined;
}

function keyBytes(args: AptRepositoryArgs, facts: DebSourcesFacts): Buffer | undefined {
  if (args.key !== undefined) return Buffer.from(args.key, 'utf8');
  if (args.keyBytes !== undefined) return args.keyBytes;
  if (args.key_url !== undefined) {
    if (facts.downloadedKey === undefined)
      throw new BosunError('BOSUN_INTERNAL', 'apt_repository: key not fetched');
    return Buffer.from(facts.downloadedKey, 'base64');
  }
  if (args.key_src !== undefined) {
    throw new BosunError('BOSUN_INTERNAL', 'apt_repository: key_src was not read before planning');
  }
  return undefined;
}

const FILE_MODE = 0o644;

function writeStep(
  path: string,
  content: Buffer | string,
  what: string,
  current: FileFacts | undefined,
): Step {
  return {
    command: writeScript({
      path,
      mode: FILE_MODE,
      backup: false,
      payload: payloadOf(content),
      replaces: current?.sha256 ?? (current?.other ? 'other' : 'absent'),
    }),
    stdin: content,
    description: `write ${what} ${path}`,
  };
}

function removeStep(files: string[]): Step {
  return { command: sh`rm -f -- ${files}`, description: `remove ${files.join(', ')}` };
}

export function planAptRepository(args: AptRepositoryArgs, facts: DebSourcesFacts): Plan {
  const line = repoLine(args);
  const p = paths(args);
  const format = args.format ?? 'deb822';
  const state = args.state ?? 'present';
  const result: Record<string, unknown> = { repo: args.repo, state };
  const steps: Step[] = [];
  const diffs: Diff[] = [];
  const summary: string[] = [];
  const existing = (key: keyof Omit<Paths, 'name'>) => facts.files[key];
  for (const key of ['sources', 'list', 'asc', 'gpg'] as const) {
    if (existing(key)?.other)
      throw moduleFailure(`${p[key]} exists and is not a regular file`, { path: p[key] });
  }
  const removals: string[] = [];

  if (state === 'present') {
    const bytes = keyBytes(args, facts);
    let keyring: string | undefined;
    if (bytes !== undefined) {
      const kind = keyKind(bytes);
      if (!kind) {
        throw moduleFailure(
          `the key${args.key_url ? ` from ${args.key_url}` : ''} is neither an ASCII-armored nor a binary OpenPGP public key`,
        );
      }
      keyring = p[kind];
      result.keyring = keyring;
      const current = existing(kind);
      const hash = sha256Of(bytes);
      if (current?.sha256 !== hash) {
        if (!facts.keyringsDir) {
          steps.push({
            command: sh`mkdir -p -m 0755 -- ${KEYRINGS_DIR}`,
            description: `create ${KEYRINGS_DIR}`,
          });
        }
        steps.push(writeStep(keyring, bytes, 'keyring', current));
        diffs.push({
          before: current ? { path: keyring, sha256: current.sha256 } : { path: keyring, state: 'absent' },
          after: { path: keyring, sha256: hash },
        });
        summary.push(`${current ? 'replace' : 'install'} keyring ${keyring}`);
      }
      const other = kind === 'asc' ? 'gpg' : 'asc';
      if (existing(other)) removals.push(p[other]);
    }
    const target = format === 'deb822' ? 'sources' : 'list';
    const content = renderSource(line, format, keyring);
    const current = existing(target);
    result.filename = p[target];
    if (current?.sha256 !== sha256Of(Buffer.from(content, 'utf8'))) {
      steps.push(writeStep(p[target], content, 'source', current));
      diffs.push(
        current
          ? { path: p[target], before: current.text ?? '', after: content }
          : { path: p[target], before: '', after: content, beforeLabel: '/dev/null' },
      );
      summary.push(`${current ? 'update' : 'add'} ${p[target]}`);
    }
    const stale = target === 'sources' ? 'list' : 'sources';
    if (existing(stale)) removals.push(p[stale]);
  } else {
    for (const key of ['sources', 'list', 'asc', 'gpg'] as const) {
      if (existing(key)) removals.push(p[key]);
    }
  }

  if (removals.length > 0) {
    steps.push(removeStep(removals));
    for (const path of removals)
      diffs.push({ before: { path, state: 'file' }, after: { path, state: 'absent' } });
    summary.push(`remove ${removals.join(', ')}`);
  }
  if (steps.length === 0) {
    return {
      changed: false,
      reason: state === 'present' ? `${result.filename} is as described` : `no source file named ${p.name}`,
      result,
    };
  }
  if (args.update_cache !== false) {
    steps.push(updateStep());
    summary.push('refresh the package lists');
  }
  return { changed: true, summary: summary.join('; '), steps, diffs, result };
}

export const aptRepositoryModule: ModuleDefinition<AptRepositoryArgs, DebSourcesFacts> = {
  name: 'apt_repository',
  description: 'An APT source in its own file, signed by its own keyring (no apt-key).',
  schema: AptRepositoryArgs,
  kind: 'plan',
  checkArgs: checkAptRepositoryArgs,
  writeKey: (args) => `apt_source:${paths(args).name}`,
  async prepare(args, ctx) {
    if (args.key_src === undefined) return args;
    return { ...args, keyBytes: await ctx.readLocalFile(args.key_src) };
  },
  gather: (args) =>
    debSourcesScript(managedFiles(args), (args.state ?? 'present') === 'present' ? args.key_url : undefined),
  parse: (result, args) => parseDebSources(result, managedFiles(args)),
  reads: (args) => managedFiles(args).map((file) => file.path),
  plan(args, facts) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'apt_repository: planned without facts');
    const plan = planAptRepository(args, facts);
    if (plan.changed) {
      // The packages apt can install change with the sources: later installs are not known.
      const why = `it changes the APT sources (${args.repo})`;
      plan.effects = [
        ...managedFiles(args).map(
          (file): Effect => ({ kind: 'path', path: file.path, after: { type: 'unknown' }, why }),
        ),
        { kind: 'opaque', scope: 'packages', why },
      ];
    }
    return plan;
  },
  finish: (_args, outputs, _ctx, plan) => finishAptSteps(outputs, plan),
};

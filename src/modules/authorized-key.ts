/**
 * authorized_key: SSH public keys in a user's authorized_keys file. A key is known by its key
 * material; a listed key whose options or comment differ is rewritten in place, a missing one
 * is appended, and with `exclusive` every other line goes. The file is rewritten atomically
 * (keeping its mode and owner; a new one is 0600 and belongs to the user) and, with manage_dir,
 * its folder is created or fixed to 0700 owned by the user, as sshd's StrictModes wants.
 */
import { posix } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  type AuthorizedKeysFacts,
  authorizedKeysScript,
  type KeyPathAttributes,
  parseAuthorizedKeys,
} from '../facts/authorized-keys.js';
import { overlayAuthorizedKeys } from '../predict/accounts.js';
import type { Effect } from '../predict/effects.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { payloadOf } from '../transport/verified-write.js';
import { failingStep, firstLine, moduleFailure } from './failure.js';
import { fileKey, fingerprintOf, writeScript } from './file-write.js';
import { formatMode } from './mode.js';
import { isTemplated } from './templated.js';
import type {
  ArgIssue,
  ChangePlan,
  Diff,
  ModuleContext,
  ModuleDefinition,
  ModuleOutcome,
  Plan,
} from './types.js';
import { nameProblem } from './user.js';

export const AuthorizedKeyArgs = Type.Object(
  {
    user: Type.String({ minLength: 1, description: 'The account whose authorized keys are managed.' }),
    key: Type.String({
      minLength: 1,
      description:
        'One or several public keys, one per line, as in authorized_keys ([options] type base64 [comment]). Blank lines and # comments are ignored.',
    }),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'present: the keys are in the file. absent: lines with these keys are removed.',
      }),
    ),
    exclusive: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'With state: present, remove every line that is not one of the keys given (other keys, comments, blank lines).',
      }),
    ),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The file: an absolute path, or ~/... relative to the home of user. Default: ~/.ssh/authorized_keys.',
      }),
    ),
    manage_dir: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          "Create the file's folder when missing, and keep it mode 0700 owned by user (set false for a shared folder given with path).",
      }),
    ),
    key_options: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Options put in front of every key (e.g. \'no-port-forwarding,from="10.0.0.0/8"\'), replacing their own.',
      }),
    ),
    comment: Type.Optional(Type.String({ description: 'Comment put after every key, replacing their own.' })),
  },
  { additionalProperties: false },
);
export type AuthorizedKeyArgs = Static<typeof AuthorizedKeyArgs>;

export interface PublicKey {
  options?: string | undefined;
  type: string;
  blob: string;
  comment?: string | undefined;
}

/** Key types (plain, FIDO and certificates); no option name starts like one. */
const KEY_TYPE = /^(?:ssh|ecdsa|sk|x509v3|rsa)-[A-Za-z0-9@.+-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;

/** The first word of `text`, where double-quoted parts (options values) may hold blanks. */
function optionsWord(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted && c === '\\') i += 1;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return text.slice(0, i);
  }
  return text;
}

/** Options split at the commas outside quotes and joined again, so spacing does not matter. */
export function normalizeOptions(options: string | undefined): string | undefined {
  if (options === undefined) return undefined;
  const parts: string[] = [];
  let quoted = false;
  let current = '';
  for (let i = 0; i < options.length; i++) {
    const c = options[i] as string;
    if (quoted && c === '\\' && i + 1 < options.length) {
      current += c + options[i + 1];
      i += 1;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  parts.push(current.trim());
  const out = parts.filter((part) => part !== '').join(',');
  return out === '' ? undefined : out;
}

/** A line of authorized_keys as a key; undefined for blank lines, comments and anything else. */
export function parseKeyLine(line: string): PublicKey | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  let rest = text;
  let options: string | undefined;
  const first = optionsWord(rest);
  if (!KEY_TYPE.test(first)) {
    options = first;
    rest = rest.slice(first.length).trimStart();
  }
  const words = rest.split(/[ \t]+/);
  const [type, blob] = words;
  if (type === undefined || blob === undefined || !KEY_TYPE.test(type) || !BASE64.test(blob))
    return undefined;
  const comment = rest.slice(type.length).trimStart().slice(blob.length).trim();
  return { options: normalizeOptions(options), type, blob, comment: comment === '' ? undefined : comment };
}

export function renderKey(key: PublicKey): string {
  return [key.options, key.type, key.blob, key.comment]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

function sameKey(a: PublicKey, b: PublicKey): boolean {
  return (
    a.type === b.type &&
    a.blob === b.blob &&
    a.options === b.options &&
    (a.comment ?? '') === (b.comment ?? '')
  );
}

/** The keys of the `key` argument with key_options and comment applied (last one wins for a repeated key). */
export function wantedKeys(args: AuthorizedKeyArgs): PublicKey[] {
  const byBlob = new Map<string, PublicKey>();
  for (const line of args.key.split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const key = parseKeyLine(text);
    if (!key) throw moduleFailure(`not a public key: ${JSON.stringify(text)}`);
    if (args.key_options !== undefined) key.options = normalizeOptions(args.key_options);
    if (args.comment !== undefined) key.comment = args.comment === '' ? undefined : args.comment;
    byBlob.delete(key.blob);
    byBlob.set(key.blob, key);
  }
  return [...byBlob.values()];
}

export function checkAuthorizedKeyArgs(args: AuthorizedKeyArgs): ArgIssue[] {
  const issues: ArgIssue[] = [];
  if (!isTemplated(args.user)) {
    const problem = nameProblem(args.user, 'user');
    if (problem) issues.push({ key: 'user', message: problem });
  }
  if (!isTemplated(args.key)) {
    if (/^\s*https?:\/\//.test(args.key)) {
      issues.push({ key: 'key', message: 'keys are not fetched from URLs: give the keys themselves' });
    } else {
      const lines = args.key.split('\n').map((line) => line.trim());
      const keys = lines.filter((line) => line !== '' && !line.startsWith('#'));
      const bad = keys.find((line) => !parseKeyLine(line));
      if (bad !== undefined) {
        issues.push({
          key: 'key',
          message: `not a public key ([options] type base64 [comment]): ${JSON.stringify(bad)}`,
        });
      } else if (keys.length === 0) {
        issues.push({ key: 'key', message: 'no key given' });
      }
    }
  }
  if (args.path !== undefined && !isTemplated(args.path)) {
    if (!args.path.startsWith('/') && !args.path.startsWith('~/')) {
      issues.push({ key: 'path', message: 'path must be absolute or start with ~/ (the home of user)' });
    }
    if (/[\n\r]/.test(args.path) || args.path.endsWith('/')) {
      issues.push({ key: 'path', message: 'path must name a file (no line breaks, no trailing /)' });
    }
  }
  for (const key of ['key_options', 'comment'] as const) {
    const value = args[key];
    if (value !== undefined && /[\n\r]/.test(value)) issues.push({ key, message: `${key} must be one line` });
  }
  return issues;
}

function splitLines(content: string): string[] {
  if (content === '') return [];
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The lines the file should have, from its current lines. */
export function editKeys(lines: string[], args: AuthorizedKeyArgs): string[] {
  const wanted = wantedKeys(args);
  const blobs = new Set(wanted.map((key) => key.blob));
  if (args.state === 'absent') return lines.filter((line) => !blobs.has(parseKeyLine(line)?.blob ?? ''));
  const out = [...lines];
  for (const key of wanted) {
    const index = out.findIndex((line) => parseKeyLine(line)?.blob === key.blob);
    if (index < 0) out.push(renderKey(key));
    else if (!sameKey(parseKeyLine(out[index] as string) as PublicKey, key)) out[index] = renderKey(key);
  }
  if (!args.exclusive) return out;
  const seen = new Set<string>();
  return out.filter((line) => {
    const blob = parseKeyLine(line)?.blob;
    if (blob === undefined || !blobs.has(blob) || seen.has(blob)) return false;
    seen.add(blob);
    return true;
  });
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** Commands that make the folder exist as 0700 owned by the user; the state diff of it. */
function dirChange(
  dir: string,
  attributes: KeyPathAttributes | undefined,
  user: string,
  uid: number,
  gid: number,
): { commands: RawShell[]; diff?: Diff } {
  const owner = `${uid}:${gid}`;
  if (!attributes) {
    return {
      commands: [sh`mkdir -m 0700 -- ${dir}`, sh`chown -- ${owner} ${dir}`],
      diff: {
        before: { path: dir, state: 'absent' },
        after: { path: dir, state: 'directory', mode: '0700', owner: user },
      },
    };
  }
  const commands: RawShell[] = [];
  const before: Record<string, unknown> = { path: dir };
  const after: Record<string, unknown> = { path: dir };
  if (attributes.mode !== 0o700) {
    commands.push(sh`chmod -- 0700 ${dir}`);
    before.mode = formatMode(attributes.mode);
    after.mode = '0700';
  }
  if (attributes.uid !== uid || attributes.gid !== gid) {
    commands.push(sh`chown -- ${owner} ${dir}`);
    before.owner = `${attributes.uid}:${attributes.gid}`;
    after.owner = `${user} (${owner})`;
  }
  return commands.length > 0 ? { commands, diff: { before, after } } : { commands };
}

export function planAuthorizedKey(
  args: AuthorizedKeyArgs,
  facts: AuthorizedKeysFacts,
  ctx: ModuleContext,
): Plan {
  const result: Record<string, unknown> = {
    user: args.user,
    state: args.state ?? 'present',
    exclusive: args.exclusive === true,
    manage_dir: args.manage_dir !== false,
    key: args.key,
  };
  if (args.key_options !== undefined) result.key_options = args.key_options;
  if (args.comment !== undefined) result.comment = args.comment;
  const passwd = facts.passwd;
  if (!passwd) {
    if (args.state === 'absent')
      return { changed: false, reason: `user ${args.user} does not exist`, result };
    // Check mode on a host where an earlier task creates the user: predicted; a real run fails here.
    return {
      changed: true,
      summary: `add keys for ${args.user} (the user does not exist yet)`,
      steps: [failingStep(`user ${args.user} does not exist`)],
      result,
      effects: [],
    };
  }
  const path = facts.path as string;
  result.keyfile = path;
  if (facts.file && !facts.file.isFile) throw moduleFailure(`${path} is not a regular file`, { path });
  const dir = posix.dirname(path);
  if (facts.dir && !facts.dir.isDirectory) throw moduleFailure(`${dir} is not a directory`, { path: dir });

  const before = splitLines(facts.content ?? '');
  const after = editKeys(before, args);
  const write = !sameLines(before, after) && !(args.state === 'absent' && !facts.file);
  const manage = args.manage_dir !== false && args.state !== 'absent';
  const folder = manage ? dirChange(dir, facts.dir, args.user, passwd.uid, passwd.gid) : { commands: [] };
  if (!write && folder.commands.length === 0) {
    const count = wantedKeys(args).length;
    return {
      changed: false,
      reason:
        args.state === 'absent'
          ? `${path} holds none of the ${count} key(s)`
          : `${path} holds the ${count} key(s) as asked${args.exclusive ? ' and nothing else' : ''}`,
      result,
    };
  }
  if (write && !facts.dir && !manage) {
    throw moduleFailure(`folder ${dir} does not exist (manage_dir is false)`, { path: dir });
  }
  const lines: RawShell[] = folder.commands.length > 0 ? [raw('set -e'), ...folder.commands] : [];
  const diffs: Diff[] = [];
  if (folder.diff) diffs.push(folder.diff);
  let stdin: string | undefined;
  if (write) {
    const content = after.length > 0 ? `${after.join('\n')}\n` : '';
    const file = facts.file;
    lines.push(
      writeScript({
        path,
        mode: file?.mode ?? 0o600,
        owner: String(file?.uid ?? passwd.uid),
        group: String(file?.gid ?? passwd.gid),
        backup: false,
        payload: payloadOf(content),
        replaces: fingerprintOf({
          stat: file && { type: file.isFile ? 'file' : 'other' },
          sha256: facts.sha256,
        }),
      }),
    );
    stdin = content;
    diffs.push(
      file
        ? { path, before: facts.content ?? '', after: content }
        : { path, before: '', after: content, beforeLabel: '/dev/null' },
    );
  }
  const added = after.filter((line) => !before.includes(line)).length;
  const removed = before.filter((line) => !after.includes(line)).length;
  const summary = write
    ? `${path}: ${added} line(s) added, ${removed} removed${folder.commands.length > 0 ? `, folder ${dir} fixed` : ''}`
    : `folder ${dir}: mode 0700, owner ${args.user}`;
  const effects: Effect[] = [];
  if (folder.commands.length > 0) {
    effects.push({
      kind: 'path',
      path: dir,
      after: { type: 'directory', mode: 0o700, owner: String(passwd.uid), group: String(passwd.gid) },
    });
  }
  if (stdin !== undefined) {
    const file = facts.file;
    effects.push({
      kind: 'path',
      path,
      after: {
        type: 'file',
        bytes: Buffer.from(stdin, 'utf8'),
        mode: file?.mode ?? 0o600,
        owner: String(file?.uid ?? passwd.uid),
        group: String(file?.gid ?? passwd.gid),
      },
    });
  }
  const plan: ChangePlan = {
    changed: true,
    summary,
    steps: [
      {
        command: raw(lines.map((line) => line.text).join('\n')),
        ...(stdin === undefined ? {} : { stdin }),
        description: write ? `write ${path}` : `fix folder ${dir}`,
      },
    ],
    result,
    effects,
  };
  if (ctx.diff) plan.diffs = diffs;
  return plan;
}

export function finishAuthorizedKey(outputs: ExecResult[], plan: ChangePlan): ModuleOutcome {
  const output = outputs[outputs.length - 1];
  if (output && output.code === 0) return { changed: true, result: { ...plan.result } };
  const msg = firstLine(output?.stderr ?? '') || `exit code ${output?.code}`;
  return { changed: false, failed: true, msg, result: { ...plan.result, msg } };
}

export const authorizedKeyModule: ModuleDefinition<AuthorizedKeyArgs, AuthorizedKeysFacts> = {
  name: 'authorized_key',
  description: "Add or remove SSH public keys in a user's authorized_keys file.",
  schema: AuthorizedKeyArgs,
  kind: 'plan',
  checkArgs: checkAuthorizedKeyArgs,
  writeKey: (args) =>
    args.path?.startsWith('/') ? fileKey(args.path) : `authorized_keys:${args.user}:${args.path ?? ''}`,
  gather: (args) => authorizedKeysScript(args.user, args.path),
  parse: (result, args) => parseAuthorizedKeys(result, args.user),
  overlay: (facts, overlay, args) => overlayAuthorizedKeys(facts, args.user, args.path, overlay),
  plan(args, facts, ctx) {
    if (!facts) throw new BosunError('BOSUN_INTERNAL', 'authorized_key: planned without facts');
    return planAuthorizedKey(args, facts, ctx);
  },
  finish: (_args, outputs, _ctx, plan) => finishAuthorizedKey(outputs, plan),
};

/**
 * `bosun vault create|edit|view|encrypt|decrypt|rekey FILE` and `bosun vault encrypt-string
 * NAME`: whole vars files encrypted (src/vars/vault.ts), and single values for a plain vars
 * file as `NAME: !vault |`. `edit` and `create` open $EDITOR on a 0600 file in a 0700 folder
 * of their own, removed when the editor ends, when it fails, on Ctrl-C, and at process exit.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { BosunError, messageOf } from '../errors.js';
import {
  DEFAULT_VAULT_ID,
  decryptVault,
  encryptVault,
  isVaultText,
  openVault,
  VAULT_TAG,
  vaultIdOf,
} from '../vars/vault.js';
import type { Command } from '../vendor/commander.js';
import { EXIT } from './exit-codes.js';
import { type CliIO, secretsOf } from './io.js';
import { collect } from './options.js';
import { addVaultOptions, type VaultOptions, vaultPasswords } from './vault-options.js';

export interface VaultCommandOptions extends VaultOptions {
  /** The vault id to encrypt for (create, encrypt, encrypt-string; rekey's new id). */
  encryptVaultId?: string;
  /** rekey: where the new password comes from (ID@SOURCE or SOURCE). */
  newVaultId?: string[];
  newVaultPasswordFile?: string;
}

type Verb = 'create' | 'edit' | 'view' | 'encrypt' | 'decrypt' | 'rekey';

const VERBS: Record<Verb, string> = {
  create: 'create an encrypted vars file with $EDITOR',
  edit: 'edit an encrypted vars file with $EDITOR (decrypted to a 0600 temp file, removed after)',
  view: 'print an encrypted vars file decrypted',
  encrypt: 'encrypt a plain vars file in place',
  decrypt: 'decrypt an encrypted vars file in place',
  rekey: 'encrypt a vars file again under a new password (--new-vault-password-file or --new-vault-id)',
};

export function registerVaultCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const vault = program.command('vault').description('encrypted vars files and values');
  for (const [verb, description] of Object.entries(VERBS) as [Verb, string][]) {
    const command = vault.command(verb).description(description).argument('<file>', 'the vars file');
    addEncryptOptions(addVaultOptions(command));
    if (verb === 'rekey') {
      command
        .option(
          '--new-vault-id <id@source>',
          'the new password: ID@prompt, ID@FILE or ID@PROGRAM',
          collect,
          [],
        )
        .option('--new-vault-password-file <file>', 'the new password of the default id (a file or program)');
    }
    command.action(async (file: string, options: VaultCommandOptions) => {
      setExit(await vaultCommand(verb, file, options, io));
    });
  }
  const value = vault
    .command('encrypt-string')
    .description('read a value on stdin and print it as `NAME: !vault |` for a plain vars file')
    .argument('<name>', 'the variable name');
  addEncryptOptions(addVaultOptions(value)).action(async (name: string, options: VaultCommandOptions) => {
    setExit(await encryptStringCommand(name, options, io));
  });
}

function addEncryptOptions(command: Command): Command {
  return command.option(
    '--encrypt-vault-id <id>',
    'the vault id to encrypt for (default: the only one given)',
  );
}

export async function vaultCommand(
  verb: Verb,
  file: string,
  options: VaultCommandOptions,
  io: CliIO,
): Promise<number> {
  const path = resolve(io.cwd, file);
  const passwords = vaultPasswords(options, io);
  const password = async (id: string): Promise<string> => {
    const found = await passwords(id);
    if (found === undefined)
      throw new BosunError(
        'BOSUN_VAULT',
        `${file}: no password for vault id "${id}": use --vault-password-file FILE, --vault-id ${id}@FILE or $BOSUN_VAULT_PASSWORD`,
      );
    secretsOf(io).add(found);
    return found;
  };
  const encryptId = encryptionId(options);
  switch (verb) {
    case 'view': {
      const plain = await openVault(readEncrypted(path, file), passwords, file);
      io.stdout.write(plain);
      return EXIT.ok;
    }
    case 'decrypt': {
      const plain = await openVault(readEncrypted(path, file), passwords, file);
      replaceFile(path, plain);
      io.stderr.write(`decrypted ${file}\n`);
      return EXIT.ok;
    }
    case 'encrypt': {
      const plain = readText(path, file);
      if (isVaultText(plain)) throw new BosunError('BOSUN_INPUT', `${file} is already encrypted`);
      replaceFile(path, encryptVault(plain, await password(encryptId), encryptId));
      io.stderr.write(`encrypted ${file} (vault id "${encryptId}")\n`);
      return EXIT.ok;
    }
    case 'rekey': {
      const text = readEncrypted(path, file);
      const plain = await openVault(text, passwords, file);
      const fresh = vaultPasswords(
        { vaultId: options.newVaultId ?? [], ...compactFile(options.newVaultPasswordFile) },
        io,
      );
      const newId = options.encryptVaultId ?? newVaultIdOf(options) ?? vaultIdOf(text, file);
      const newPassword = await fresh(newId);
      if (newPassword === undefined)
        throw new BosunError(
          'BOSUN_INPUT',
          'rekey needs the new password: --new-vault-password-file or --new-vault-id',
        );
      secretsOf(io).add(newPassword);
      replaceFile(path, encryptVault(plain, newPassword, newId));
      io.stderr.write(`rekeyed ${file} (vault id "${newId}")\n`);
      return EXIT.ok;
    }
    case 'create': {
      if (exists(path)) throw new BosunError('BOSUN_INPUT', `${file} exists already: use bosun vault edit`);
      const secret = await password(encryptId);
      const edited = await editInTemp('', file, io);
      if (edited === '') {
        io.stderr.write(`nothing written: ${file} not created\n`);
        return EXIT.ok;
      }
      writeFileSync(path, encryptVault(edited, secret, encryptId), { mode: 0o600 });
      io.stderr.write(`created ${file} (vault id "${encryptId}")\n`);
      return EXIT.ok;
    }
    case 'edit': {
      const text = readEncrypted(path, file);
      const id = vaultIdOf(text, file);
      const secret = await password(id);
      const plain = decryptVault(text, secret, file);
      const edited = await editInTemp(plain, file, io);
      if (edited === plain) {
        io.stderr.write(`no change: ${file} left as it was\n`);
        return EXIT.ok;
      }
      replaceFile(path, encryptVault(edited, secret, id));
      io.stderr.write(`saved ${file} (vault id "${id}")\n`);
      return EXIT.ok;
    }
  }
}

async function encryptStringCommand(name: string, options: VaultCommandOptions, io: CliIO): Promise<number> {
  const id = encryptionId(options);
  const found = await vaultPasswords(options, io)(id);
  if (found === undefined)
    throw new BosunError('BOSUN_VAULT', `no password for vault id "${id}": use --vault-password-file FILE`);
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  const text = encryptVault(value, found, id);
  const lines = text.trimEnd().split('\n');
  io.stdout.write(`${name}: ${VAULT_TAG} |\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  return EXIT.ok;
}

/** The id to encrypt for: --encrypt-vault-id, else the one id the options name, else "default". */
function encryptionId(options: VaultCommandOptions): string {
  if (options.encryptVaultId !== undefined) return options.encryptVaultId;
  const ids = new Set(
    (options.vaultId ?? []).map((spec) => (spec.includes('@') ? spec.split('@')[0]! : DEFAULT_VAULT_ID)),
  );
  if (options.vaultPasswordFile !== undefined) ids.add(DEFAULT_VAULT_ID);
  if (ids.size > 1)
    throw new BosunError(
      'BOSUN_INPUT',
      `several vault ids given (${[...ids].join(', ')}): choose one with --encrypt-vault-id`,
    );
  return [...ids][0] ?? DEFAULT_VAULT_ID;
}

function newVaultIdOf(options: VaultCommandOptions): string | undefined {
  const spec = options.newVaultId?.[0];
  return spec?.includes('@') ? spec.split('@')[0] : undefined;
}

function compactFile(file: string | undefined): { vaultPasswordFile?: string } {
  return file === undefined ? {} : { vaultPasswordFile: file };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readText(path: string, file: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new BosunError('BOSUN_INPUT', `cannot read ${file}: ${messageOf(cause)}`, { cause });
  }
}

function readEncrypted(path: string, file: string): string {
  const text = readText(path, file);
  if (!isVaultText(text))
    throw new BosunError('BOSUN_INPUT', `${file} is not encrypted (no $BOSUN_VAULT header)`);
  return text;
}

/** Replace `path` whole (a temp file renamed over it), keeping its mode. */
function replaceFile(path: string, text: string): void {
  const mode = statSync(path).mode & 0o777;
  const temp = join(dirname(path), `.${basename(path)}.bosun-${process.pid}`);
  try {
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * `text` in a 0600 file in a 0700 folder of its own, $EDITOR (or vi) on it, and what it holds
 * once the editor exits 0. The folder goes whatever happens: an editor that fails or is
 * killed, Ctrl-C (which also ends the editor), and the process exiting at once (a second
 * Ctrl-C) through an exit hook.
 */
async function editInTemp(text: string, file: string, io: CliIO): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'bosun-vault-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  process.once('exit', remove);
  try {
    const temp = join(folder, basename(file));
    writeFileSync(temp, text, { mode: 0o600 });
    const editor = io.env.EDITOR || io.env.VISUAL || 'vi';
    // The editor may carry its own words ("code --wait"); the file is one quoted argument.
    const child = spawn('/bin/sh', ['-c', `exec ${editor} "$1"`, 'editor', temp], {
      stdio: 'inherit',
      env: io.env,
    });
    const onAbort = () => child.kill('SIGTERM');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
      child.once('error', fail);
      child.once('exit', (code, signal) => done({ code, signal }));
    }).finally(() => io.signal?.removeEventListener('abort', onAbort));
    if (io.signal?.aborted) throw new BosunError('BOSUN_INTERRUPTED', `interrupted: ${file} left as it was`);
    if (status.code !== 0) {
      const how = status.signal ? `was killed (${status.signal})` : `exited with ${status.code}`;
      throw new BosunError('BOSUN_VAULT', `the editor (${editor}) ${how}: ${file} left as it was`);
    }
    return readFileSync(temp, 'utf8');
  } finally {
    remove();
    process.off('exit', remove);
  }
}

/**
 * Where vault passwords come from: `--vault-id ID@SOURCE` (SOURCE is `prompt`, a file holding
 * the password, or an executable that prints it), `--vault-password-file SOURCE` (the default
 * id), or $BOSUN_VAULT_PASSWORD (the default id). A password is read only when a vault text
 * needs it, once per id; it never appears in argv (files and programs are named, not passwords).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { BosunError, messageOf } from '../errors.js';
import type { VaultContext } from '../vars/vars-file.js';
import { checkVaultId, DEFAULT_VAULT_ID, type VaultPasswordSource } from '../vars/vault.js';
import type { Command } from '../vendor/commander.js';
import { type CliIO, secretsOf } from './io.js';
import { collect } from './options.js';
import { readSecretFromTty } from './prompt.js';

export const VAULT_PASSWORD_ENV = 'BOSUN_VAULT_PASSWORD';

export interface VaultOptions {
  vaultId?: string[];
  vaultPasswordFile?: string;
}

export function addVaultOptions(command: Command): Command {
  return command
    .option(
      '--vault-id <id@source>',
      'password of a vault id: ID@prompt, ID@FILE, or ID@PROGRAM that prints it (repeatable)',
      collect,
      [],
    )
    .option(
      '--vault-password-file <file>',
      `password of the default vault id: a file, or a program that prints it (or $${VAULT_PASSWORD_ENV})`,
    );
}

/** The sources the options name, by vault id (checked now; read when needed). */
export function vaultSources(options: VaultOptions, io: CliIO): Map<string, string> {
  const sources = new Map<string, string>();
  if (options.vaultPasswordFile !== undefined) sources.set(DEFAULT_VAULT_ID, options.vaultPasswordFile);
  for (const spec of options.vaultId ?? []) {
    const at = spec.indexOf('@');
    const id = at < 0 ? DEFAULT_VAULT_ID : spec.slice(0, at);
    const source = at < 0 ? spec : spec.slice(at + 1);
    if (source === '') throw new BosunError('BOSUN_INPUT', `--vault-id ${spec}: name a source after "@"`);
    sources.set(checkVaultId(id), source);
  }
  for (const source of sources.values()) {
    if (source === 'prompt') continue;
    try {
      statSync(resolve(io.cwd, source));
    } catch (cause) {
      throw new BosunError('BOSUN_INPUT', `vault password file ${source}: ${messageOf(cause)}`, { cause });
    }
  }
  return sources;
}

/**
 * The passwords, read lazily: the vault id's own source, else the default id's, else
 * $BOSUN_VAULT_PASSWORD.
 */
export function vaultPasswords(options: VaultOptions, io: CliIO): VaultPasswordSource {
  const sources = vaultSources(options, io);
  const read = new Map<string, Promise<string>>();
  return async (id) => {
    const source = sources.get(id) ?? sources.get(DEFAULT_VAULT_ID);
    if (source === undefined) return io.env[VAULT_PASSWORD_ENV];
    let password = read.get(source);
    if (!password) {
      password = readPassword(source, id, io);
      read.set(source, password);
    }
    return password;
  };
}

/** What a command opens vaults with: the options' passwords, and the command's secrets. */
export function vaultContext(options: VaultOptions, io: CliIO): VaultContext {
  return { passwords: vaultPasswords(options, io), secrets: secretsOf(io) };
}

async function readPassword(source: string, id: string, io: CliIO): Promise<string> {
  if (source === 'prompt') return readSecretFromTty(io, `Vault password (${id}): `);
  const path = resolve(io.cwd, source);
  let text: string;
  if (isExecutable(path)) {
    try {
      const { stdout } = await promisify(execFile)(path, [], {
        env: { ...io.env, BOSUN_VAULT_ID: id },
        timeout: 60_000,
      });
      text = stdout;
    } catch (cause) {
      throw new BosunError('BOSUN_VAULT', `vault password program ${source} failed: ${messageOf(cause)}`, {
        cause,
      });
    }
  } else text = readFileSync(path, 'utf8');
  const password = text.split('\n')[0]!.replace(/\r$/, '');
  if (password === '')
    throw new BosunError('BOSUN_VAULT', `vault password source ${source} gave an empty password`);
  return password;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

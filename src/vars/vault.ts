/**
 * Encrypted vars. A vault text is a header line naming the format version, the cipher, the key
 * derivation and the vault id (one password per environment), then base64 of salt, nonce, tag
 * and ciphertext, 64 characters a line. The cipher is AES-256-GCM (authenticated: a changed
 * byte anywhere, header included, fails to decrypt) under a key scrypt derives from the
 * password and a random salt. A whole vars file is one vault text; a single value inside a
 * plain YAML file is the same text as a `!vault |` scalar, so a diff still shows which key
 * changed.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { BosunError } from '../errors.js';

export const VAULT_TAG = '!vault';
export const DEFAULT_VAULT_ID = 'default';
const MAGIC = '$BOSUN_VAULT';
const VERSION = '1';
const CIPHER = 'AES256-GCM';
const KDF = 'SCRYPT';
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** scrypt cost: 2^15 (32 MiB, about 0.1 to 0.2 s on the CI machine): dear to guess, cheap once per file. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const ID = /^[A-Za-z0-9_.-]+$/;

/** The password of a vault id, asked for only when a vault text needs it. */
export type VaultPasswordSource = (id: string) => Promise<string | undefined>;

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(`${MAGIC};`);
}

/** The vault id a vault text was encrypted for. */
export function vaultIdOf(text: string, file: string): string {
  return parseHeader(text.trimStart().split('\n', 1)[0]!.trim(), file).id;
}

export function checkVaultId(id: string): string {
  if (!ID.test(id))
    throw new BosunError('BOSUN_INPUT', `vault id "${id}" is not valid: use letters, digits, ".", "_", "-"`);
  return id;
}

export function encryptVault(plain: string, password: string, id: string = DEFAULT_VAULT_ID): string {
  checkVaultId(id);
  const header = `${MAGIC};${VERSION};${CIPHER};${KDF};${id}`;
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, salt), nonce);
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const blob = Buffer.concat([salt, nonce, cipher.getAuthTag(), body]).toString('base64');
  const lines = blob.match(/.{1,64}/g) ?? [''];
  return `${header}\n${lines.join('\n')}\n`;
}

/** Decrypt a vault text; `file` names it in errors (with the key, for a single value). */
export function decryptVault(text: string, password: string, file: string): string {
  const [first, ...rest] = text.trim().split('\n');
  const header = parseHeader((first ?? '').trim(), file);
  const blob = Buffer.from(rest.join('').replace(/\s+/g, ''), 'base64');
  if (blob.length < SALT_BYTES + NONCE_BYTES + TAG_BYTES)
    throw vaultError(file, 'the encrypted data is cut short (the file was changed or truncated)');
  const salt = blob.subarray(0, SALT_BYTES);
  const nonce = blob.subarray(SALT_BYTES, SALT_BYTES + NONCE_BYTES);
  const tag = blob.subarray(SALT_BYTES + NONCE_BYTES, SALT_BYTES + NONCE_BYTES + TAG_BYTES);
  const body = blob.subarray(SALT_BYTES + NONCE_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(password, salt), nonce);
  decipher.setAAD(Buffer.from(header.line, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw vaultError(
      file,
      `cannot decrypt with the password of vault id "${header.id}": wrong password, or the file was changed`,
      cause,
    );
  }
}

/** Decrypt with the password `passwords` gives for the text's vault id. */
export async function openVault(text: string, passwords: VaultPasswordSource, file: string): Promise<string> {
  const id = vaultIdOf(text, file);
  const password = await passwords(id);
  if (password === undefined) {
    throw vaultError(
      file,
      `it is encrypted (vault id "${id}") and no password was given: use --vault-password-file FILE, --vault-id ${id}@FILE or $BOSUN_VAULT_PASSWORD`,
    );
  }
  return decryptVault(text, password, file);
}

function parseHeader(line: string, file: string): { id: string; line: string } {
  const parts = line.split(';');
  if (parts[0] !== MAGIC) throw vaultError(file, 'not a Bosun vault (no $BOSUN_VAULT header)');
  if (parts[1] !== VERSION)
    throw vaultError(
      file,
      `vault format version "${parts[1] ?? ''}" is not known (this Bosun reads ${VERSION})`,
    );
  if (parts[2] !== CIPHER || parts[3] !== KDF || parts.length !== 5 || !ID.test(parts[4] ?? ''))
    throw vaultError(file, 'the vault header is damaged');
  return { id: parts[4]!, line };
}

function deriveKey(password: string, salt: Buffer): Buffer {
  return scryptSync(password.normalize('NFC'), salt, 32, SCRYPT);
}

function vaultError(file: string, why: string, cause?: unknown): BosunError {
  return new BosunError('BOSUN_VAULT', `${file}: ${why}`, {
    details: { file },
    ...(cause === undefined ? {} : { cause }),
  });
}

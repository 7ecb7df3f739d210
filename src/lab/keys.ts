import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utils } from '../vendor/ssh2.js';

export interface FleetKeys {
  privateKeyPath: string;
  publicKey: string;
  passphraseKeyPath: string;
  passphrasePublicKey: string;
  keyPassphrase: string;
  password: string;
}

/** A random secret made only of characters that need no quoting anywhere (base64url). */
export function randomSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Two ed25519 keys in OpenSSH format, one plain and one encrypted with a passphrase, written
 * 0600 to the workdir (ssh refuses group/world-readable keys), plus pwuser's password.
 */
export async function writeFleetKeys(workdir: string, fleetName: string): Promise<FleetKeys> {
  const keyPassphrase = randomSecret();
  const plain = utils.generateKeyPairSync('ed25519', { comment: `bosun@${fleetName}` });
  const encrypted = utils.generateKeyPairSync('ed25519', {
    comment: `bosun-passphrase@${fleetName}`,
    passphrase: keyPassphrase,
    cipher: 'aes256-ctr',
  });
  const privateKeyPath = join(workdir, 'id_ed25519');
  const passphraseKeyPath = join(workdir, 'id_ed25519_passphrase');
  await Promise.all([
    writeFile(privateKeyPath, plain.private, { mode: 0o600 }),
    writeFile(`${privateKeyPath}.pub`, `${plain.public}\n`, { mode: 0o644 }),
    writeFile(passphraseKeyPath, encrypted.private, { mode: 0o600 }),
    writeFile(`${passphraseKeyPath}.pub`, `${encrypted.public}\n`, { mode: 0o644 }),
  ]);
  return {
    privateKeyPath,
    publicKey: plain.public.trim(),
    passphraseKeyPath,
    passphrasePublicKey: encrypted.public.trim(),
    keyPassphrase,
    password: randomSecret(),
  };
}

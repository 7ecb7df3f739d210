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

type KeyOptions = Parameters<typeof utils.generateKeyPairSync>[1];

/**
 * An ed25519 key pair that ssh2 itself can read back. ssh2's generator writes a key its own
 * parser refuses ("Malformed OpenSSH private key") about once in 170 (17 of 3,000 measured),
 * which made a whole test file fail now and then: such a key is drawn again.
 */
export function generateUsableKey(
  options: KeyOptions,
  passphrase?: string,
): ReturnType<typeof utils.generateKeyPairSync> {
  for (let attempt = 1; ; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', options);
    if (!(utils.parseKey(pair.private, passphrase) instanceof Error)) return pair;
    if (attempt >= 20) throw new Error('ssh2 made 20 unreadable ed25519 keys in a row');
  }
}

/**
 * Two ed25519 keys in OpenSSH format, one plain and one encrypted with a passphrase, written
 * 0600 to the workdir (ssh refuses group/world-readable keys), plus pwuser's password.
 */
export async function writeFleetKeys(workdir: string, fleetName: string): Promise<FleetKeys> {
  const keyPassphrase = randomSecret();
  const plain = generateUsableKey({ comment: `bosun@${fleetName}` });
  const encrypted = generateUsableKey(
    { comment: `bosun-passphrase@${fleetName}`, passphrase: keyPassphrase, cipher: 'aes256-ctr' },
    keyPassphrase,
  );
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

import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { decryptVault, encryptVault, isVaultText, vaultIdOf } from '../../../src/vars/vault.js';

function error(run: () => unknown): Error {
  try {
    run();
  } catch (caught) {
    expect(isBosunError(caught, 'BOSUN_VAULT')).toBe(true);
    return caught as Error;
  }
  throw new Error('did not throw');
}

describe('vault', () => {
  const text = encryptVault('db_password: s3cret\n', 'pw', 'STG');

  it('round-trips, with a versioned header naming the vault id', () => {
    expect(text.split('\n')[0]).toBe('$BOSUN_VAULT;1;AES256-GCM;SCRYPT;STG');
    expect(isVaultText(text)).toBe(true);
    expect(vaultIdOf(text, 'f')).toBe('STG');
    expect(text).not.toContain('s3cret');
    expect(decryptVault(text, 'pw', 'f')).toBe('db_password: s3cret\n');
    // A fresh salt and nonce each time.
    expect(encryptVault('x', 'pw')).not.toBe(encryptVault('x', 'pw'));
  });

  it('refuses a wrong password, naming the file', () => {
    expect(error(() => decryptVault(text, 'nope', 'vars/STG/secrets.yml')).message).toBe(
      'vars/STG/secrets.yml: cannot decrypt with the password of vault id "STG": wrong password, or the file was changed',
    );
  });

  it('refuses a changed byte of the data or of the header', () => {
    const lines = text.split('\n');
    const body = lines[1]!;
    const flipped = `${body.slice(0, 30)}${body[30] === 'A' ? 'B' : 'A'}${body.slice(31)}`;
    expect(
      error(() => decryptVault([lines[0], flipped, ...lines.slice(2)].join('\n'), 'pw', 'f')).message,
    ).toMatch(/cannot decrypt/);
    // The header is authenticated: moving the text to another vault id fails too.
    expect(error(() => decryptVault(text.replace(';STG', ';PRD'), 'pw', 'f')).message).toMatch(
      /cannot decrypt/,
    );
    expect(error(() => decryptVault(text.replace(';1;', ';9;'), 'pw', 'f')).message).toMatch(/version "9"/);
    expect(error(() => decryptVault(lines[0]!, 'pw', 'f')).message).toMatch(/cut short/);
  });
});

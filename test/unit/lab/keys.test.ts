import { describe, expect, it } from 'vitest';
import { generateUsableKey } from '../../../src/lab/keys.js';
import { utils } from '../../../src/vendor/ssh2.js';

// ssh2's own generator now and then writes an ed25519 key its parser refuses (about 1 in 170):
// a fleet given such a key fails every login of a test file. 1,000 keys would hold about six.
describe('generateUsableKey', () => {
  it('gives only keys ssh2 reads back, plain and with a passphrase', () => {
    const unreadable: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const plain = generateUsableKey({ comment: `k${i}` });
      if (utils.parseKey(plain.private) instanceof Error) unreadable.push(`plain ${i}`);
    }
    for (let i = 0; i < 3; i++) {
      const locked = generateUsableKey({ passphrase: 'pass', cipher: 'aes256-ctr', rounds: 16 }, 'pass');
      if (utils.parseKey(locked.private, 'pass') instanceof Error) unreadable.push(`passphrase ${i}`);
    }
    expect(unreadable).toEqual([]);
  });
});

/** Reading a secret from the terminal without echo. */
import { BosunError } from '../errors.js';
import type { CliIO } from './io.js';

export async function readSecretFromTty(io: CliIO, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new BosunError('BOSUN_INPUT', 'cannot prompt for a password: standard input is not a terminal');
  }
  io.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let secret = '';
      const onData = (chunk: Buffer | string) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            stdin.off('data', onData);
            resolve(secret);
            return;
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            reject(new BosunError('BOSUN_INPUT', 'password prompt interrupted'));
            return;
          }
          if (char === '\u007f' || char === '\b') secret = [...secret].slice(0, -1).join('');
          else secret += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    io.stderr.write('\n');
  }
}

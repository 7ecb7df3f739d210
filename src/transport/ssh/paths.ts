import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** `~` and `~/x` to the home folder, as OpenSSH does for file options; other paths unchanged. */
export function expandTilde(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** The local login name: $USER when set, else the account running the process. */
export function localUserName(): string {
  const fromEnv = process.env.USER || process.env.LOGNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

export function defaultKnownHostsFiles(home: string = homedir()): string[] {
  return [join(home, '.ssh', 'known_hosts')];
}

export function defaultSshConfigPath(home: string = homedir()): string {
  return join(home, '.ssh', 'config');
}

/** The key files OpenSSH tries when none is configured, in its order. */
export function defaultIdentityFiles(home: string = homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(home, '.ssh', name));
}

/**
 * The account a transport logs in as, known before connecting: roles that manage accounts and
 * sshd use it to refuse changes that would lock the current run out (removing that user,
 * AllowUsers without it).
 */

import type { TransportSpec } from './registry.js';
import { defaultSshConfigPath, expandTilde, localUserName } from './ssh/paths.js';
import { loadSshConfig, resolveSshHost } from './ssh/ssh-config.js';

export function loginUser(spec: TransportSpec): string {
  switch (spec.kind) {
    case 'local':
      return localUserName();
    case 'docker':
      return spec.user ?? 'root';
    case 'ssh': {
      if (spec.user) return spec.user;
      if (spec.sshConfig !== false) {
        const path = spec.sshConfig === undefined ? defaultSshConfigPath() : expandTilde(spec.sshConfig);
        const config = loadSshConfig(path);
        const user = config ? resolveSshHost(config, spec.host).user : undefined;
        if (user) return user;
      }
      return localUserName();
    }
  }
}

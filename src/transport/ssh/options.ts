/** One SSH server to log in to: a target or a bastion hop. */
export interface SshEndpoint {
  /** Name or address, as dialled (from the previous hop for hops behind a bastion). */
  host: string;
  /** Default 22 (or the ssh config Port). */
  port?: number;
  /** Default: ~/.ssh/config User, else the local user name. */
  user?: string;
  /** Key file (~ expanded). */
  privateKeyPath?: string;
  /** Key material. */
  privateKey?: string | Buffer;
  /** For an encrypted key. */
  passphrase?: string;
  /** Password authentication. */
  password?: string;
  /** ssh-agent socket; default process.env.SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false;
}

export interface SshTransportOptions extends SshEndpoint {
  /** Inventory name, used in messages (default host). */
  name?: string;
  /** Ordered hops, the first dialled from here (a ProxyJump chain). */
  bastions?: SshEndpoint[];
  /** Default [~/.ssh/known_hosts]; the first one is where accepted new keys are written. */
  knownHostsFiles?: string[];
  /** accept-new: unknown keys are accepted AND recorded; mismatches still fail. */
  trustNewHostKeys?: boolean;
  onHostKeyAccepted?: (info: { host: string; port: number; fingerprint: string; file: string }) => void;
  /** ssh config to read (default ~/.ssh/config if present); false ignores it. */
  sshConfig?: string | false;
  /** Milliseconds per hop, default 10000. */
  connectTimeout?: number;
  /** Milliseconds, default 15000. */
  keepaliveInterval?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
  /** sudo password (ShellTransport option). */
  becomePassword?: string;
  /** Default per-command timeout in milliseconds (ShellTransport option). */
  commandTimeout?: number;
}

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3;

/**
 * The script that turns a fresh lab container into a fleet node, run once per node through
 * `docker exec -i ... /bin/sh -s` with the script on stdin: one round trip per node keeps the
 * start fast, and pwuser's password travels inside the script (stdin), never in argv.
 * It ends by printing the node's public host keys after a marker line.
 */
export const HOST_KEYS_MARKER = '--- bosun host keys ---';

export interface NodeSetupInput {
  authorizedKeys: string[];
  password: string;
  /** Bastions must let `bosun` open forwarded TCP channels (ProxyJump). */
  bastion: boolean;
}

const SAFE_SECRET = /^[A-Za-z0-9_-]+$/;
// "type base64 [comment]"; every SSH public key blob starts with a length, so its base64 with AAAA.
const KEY_LINE = /^[a-z0-9][a-z0-9@.-]* AAAA[A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

export function nodeSetupScript(input: NodeSetupInput): string {
  // Both go into here-documents: reject anything that could end one early or inject shell.
  if (!SAFE_SECRET.test(input.password)) throw new TypeError('fleet password must be base64url');
  for (const key of input.authorizedKeys) {
    if (!KEY_LINE.test(key)) throw new TypeError(`not a public key line: ${key.slice(0, 40)}`);
  }
  const lines = [
    'set -eu',
    'id bosun >/dev/null 2>&1 || useradd --create-home --shell /bin/bash bosun',
    'id pwuser >/dev/null 2>&1 || useradd --create-home --shell /bin/bash pwuser',
    'install -d -m 0700 -o bosun -g bosun /home/bosun/.ssh',
    "cat > /home/bosun/.ssh/authorized_keys <<'BOSUN_KEYS'",
    ...input.authorizedKeys,
    'BOSUN_KEYS',
    'chown bosun:bosun /home/bosun/.ssh/authorized_keys',
    'chmod 0600 /home/bosun/.ssh/authorized_keys',
    // A broken sudoers file locks sudo out entirely: validate before putting it in place.
    'sudoers() {',
    '  printf "%s\\n" "$2" > "/etc/sudoers.d/.$1.tmp"',
    '  chmod 0440 "/etc/sudoers.d/.$1.tmp"',
    '  visudo -cqf "/etc/sudoers.d/.$1.tmp"',
    '  mv "/etc/sudoers.d/.$1.tmp" "/etc/sudoers.d/$1"',
    '}',
    "sudoers bosun 'bosun ALL=(ALL) NOPASSWD:ALL'",
    "sudoers pwuser 'pwuser ALL=(ALL) ALL'",
    "chpasswd <<'BOSUN_PASSWORD'",
    `pwuser:${input.password}`,
    'BOSUN_PASSWORD',
  ];
  if (input.bastion) {
    lines.push(
      "if ! sshd -T 2>/dev/null | grep -qi '^allowtcpforwarding yes'; then",
      '  echo "bosun: sshd on this bastion does not allow TCP forwarding" >&2',
      '  exit 3',
      'fi',
    );
  }
  lines.push(`echo '${HOST_KEYS_MARKER}'`, 'cat /etc/ssh/ssh_host_*_key.pub');
  return `${lines.join('\n')}\n`;
}

/** Public host key lines ("type base64"), without the comment, from the script's output. */
export function parseHostKeys(output: string): string[] {
  const at = output.indexOf(HOST_KEYS_MARKER);
  if (at < 0) return [];
  return output
    .slice(at + HOST_KEYS_MARKER.length)
    .split('\n')
    .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '))
    .filter((line) => KEY_LINE.test(line));
}

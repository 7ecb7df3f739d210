import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BosunError } from '../../src/errors.js';
import { type Fleet, type FleetNode, startFleet } from '../../src/lab/fleet.js';
import { generateUsableKey } from '../../src/lab/keys.js';
import { raw, sh } from '../../src/transport/quote.js';
import {
  createSshTransport,
  fingerprintSha256,
  SshConnectionPool,
  type SshTransportOptions,
} from '../../src/transport/ssh/index.js';
import type { Transport } from '../../src/transport/types.js';

// Real containers over real SSH: one shared fleet (bastion1 + 3 hosts), plus a small two-hop
// fleet for the bastion chain. Every transport and pool made here is closed in afterAll.

let fleet: Fleet;
let scratch: string;
const toClose: (Transport | SshConnectionPool)[] = [];

function track<T extends Transport | SshConnectionPool>(thing: T): T {
  toClose.push(thing);
  return thing;
}

function host(n: number): FleetNode {
  return fleet.hosts[n - 1]!;
}

/** Options to reach `node` of `f` through its bastions as `bosun` with the fleet key. */
function through(
  f: Fleet,
  node: FleetNode | string,
  extra: Partial<SshTransportOptions> = {},
): SshTransportOptions {
  const name = typeof node === 'string' ? node : node.name;
  return {
    name,
    host: typeof node === 'string' ? node : node.address,
    user: 'bosun',
    privateKeyPath: f.privateKeyPath,
    bastions: f.bastions.map((b) => ({
      host: b.address,
      port: b.port,
      user: 'bosun',
      privateKeyPath: f.privateKeyPath,
    })),
    knownHostsFiles: [f.knownHostsPath],
    sshConfig: false,
    agent: false,
    // Generous: logins through a bastion on a busy machine take seconds (the timeout itself
    // is tested with its own values).
    connectTimeout: 30_000,
    ...extra,
  };
}

function ssh(node: FleetNode | string, extra: Partial<SshTransportOptions> = {}): Transport {
  return track(createSshTransport(through(fleet, node, extra)));
}

async function failure(promise: Promise<unknown>): Promise<BosunError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BosunError)) throw new Error(`expected a BosunError, got ${String(error)}`);
  return error;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function keyFingerprint(line: string): string {
  return fingerprintSha256(Buffer.from(line.split(' ')[1]!, 'base64'));
}

function keyOfType(node: FleetNode, type: string): string {
  const line = node.hostKeys.find((k) => k.startsWith(`${type} `));
  if (!line) throw new Error(`${node.name} has no ${type} host key`);
  return line;
}

/** The fleet's known_hosts without the lines for `name`. */
async function knownHostsWithout(name: string): Promise<string> {
  const text = await readFile(fleet.knownHostsPath, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(`${name} `))
    .join('\n');
}

async function established(node: FleetNode): Promise<number> {
  const r = await fleet.exec(node, ['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  expect(r.exitCode, r.output).toBe(0);
  return r.output.split('\n').filter((line) => line.trim() !== '').length;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bosun-ssh-it-'));
  fleet = await startFleet({ hosts: 3 });
});

afterAll(async () => {
  await Promise.allSettled(toClose.map((t) => (t instanceof SshConnectionPool ? t.closeAll() : t.close())));
  await fleet?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('commands through a bastion', () => {
  it('returns exit codes, stdout and stderr; feeds stdin and env', async () => {
    const t = ssh(host(1));
    const r = await t.exec(raw('hostname; echo oops >&2; exit 7'));
    expect(r).toMatchObject({ code: 7, stdout: 'host1\n', stderr: 'oops\n' });
    const ok = await t.exec(sh`tr a-z A-Z; printf %s "$GREETING"`, {
      stdin: 'abc\n',
      env: { GREETING: "it's $HOME" },
    });
    expect(ok).toMatchObject({ code: 0, stdout: "ABC\nit's $HOME", stderr: '' });
    expect((await t.exec(raw('kill -TERM $$'))).signal).toBe('SIGTERM');
  });

  it('puts and gets 10 MB of random bytes unchanged', async () => {
    const t = ssh(host(2));
    const data = randomBytes(10 * 1024 * 1024);
    await t.put('/tmp/blob.bin', data);
    const size = await t.exec(raw('stat -c %s /tmp/blob.bin; ls -a /tmp | grep -c bosun- || true'));
    expect(size.stdout).toBe(`${data.length}\n0\n`);
    const back = await t.get('/tmp/blob.bin');
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
  });

  it('puts with mode and owner through sudo, and reads a root-only file back with sudo', async () => {
    const t = ssh(host(1));
    await t.put('/etc/bosun-it.conf', 'secret=1\n', { sudo: true, mode: '0640', owner: 'root:pwuser' });
    const st = await t.exec(raw('stat -c "%a %U:%G" /etc/bosun-it.conf'));
    expect(st.stdout).toBe('640 root:pwuser\n');
    expect((await t.exec(raw('cat /etc/bosun-it.conf'))).code).not.toBe(0);
    expect((await t.get('/etc/bosun-it.conf', { sudo: true })).toString()).toBe('secret=1\n');
  });

  it('runs sudo without a password as bosun, as root or another user', async () => {
    const t = ssh(host(1));
    expect((await t.exec(raw('id -un'), { sudo: true })).stdout).toBe('root\n');
    const r = await t.exec(raw('id -un; cat'), { sudo: true, user: 'pwuser', stdin: 'to the command\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'pwuser\nto the command\n', stderr: '' });
  });

  it('logs in with a password and sends the sudo password on stdin only', async () => {
    const t = ssh(host(3), {
      user: 'pwuser',
      password: fleet.password,
      privateKeyPath: undefined,
      becomePassword: fleet.password,
    });
    // The command waits for the test's go, so the test sees it running however slow the machine.
    const go = '/tmp/sudo-password-go';
    const running = t.exec(raw(`until [ -e ${go} ]; do sleep 0.1; done; id -u; echo done >&2`), {
      sudo: true,
    });
    // Every process's argv on the host, from the login until the command runs as root.
    const seen: string[] = [];
    await expect
      .poll(
        async () => {
          const ps = (await fleet.exec(host(3), ['ps', '-eo', 'user,args'])).output;
          seen.push(ps);
          return ps;
        },
        { timeout: 60_000 },
      )
      // The script came on stdin (not argv): its `sleep`, run as root, shows it running.
      .toMatch(/^root +sleep 0\.1$/m);
    await fleet.exec(host(3), ['touch', go]);
    const r = await running;
    expect(r).toMatchObject({ code: 0, stdout: '0\n', stderr: 'done\n' });
    expect(seen.join('\n')).not.toContain(fleet.password);
    expect(seen.join('\n')).not.toContain(`until [ -e ${go} ]`);
    expect(r.stdout + r.stderr).not.toContain(fleet.password);
  });

  it('fails with BOSUN_BECOME_FAILED on a wrong sudo password', async () => {
    const t = ssh(host(3), {
      user: 'pwuser',
      password: fleet.password,
      privateKeyPath: undefined,
      becomePassword: 'nope',
    });
    const error = await failure(t.exec(raw('id -u'), { sudo: true }));
    expect(error.code).toBe('BOSUN_BECOME_FAILED');
    expect(error.message).not.toContain(fleet.password);
  });

  it('abandons a command after its timeout, kills it, and keeps the connection usable', async () => {
    const t = ssh(host(2));
    const started = Date.now();
    const error = await failure(t.exec(raw('sleep 30'), { timeout: 700 }));
    expect(error.code).toBe('BOSUN_COMMAND_TIMEOUT');
    // Well before the command's own end, however slow the machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await t.exec(raw('echo still here'))).stdout).toBe('still here\n');
    await expect.poll(async () => (await fleet.exec(host(2), ['pgrep', '-f', 'sleep 30'])).exitCode).toBe(1);
  });
});

describe('connections', () => {
  it('multiplexes many commands over one connection per host and one to the shared bastion', async () => {
    const pool = track(new SshConnectionPool());
    const transports = [1, 2, 3].map((n) => pool.get(through(fleet, host(n))));
    // Earlier tests keep their own connections open until afterAll: count what this pool adds.
    const [bastionBefore, hostBefore] = [await established(fleet.bastions[0]!), await established(host(1))];
    // More concurrent commands than a server's MaxSessions (10) on each host, and their first
    // uses concurrent too: they must share one connect.
    const results = await Promise.all(
      transports.flatMap((t) => Array.from({ length: 14 }, (_, i) => t.exec(sh`echo ${i}`))),
    );
    expect(results.every((r) => r.code === 0)).toBe(true);
    for (const t of transports) await t.exec(raw('true'));
    expect(pool.connectCount).toBe(4);
    expect(pool.openCount).toBe(4);
    expect((await established(host(1))) - hostBefore).toBe(1);
    expect((await established(fleet.bastions[0]!)) - bastionBefore).toBe(1);
    await pool.closeAll();
    expect(pool.openCount).toBe(0);
    await expect.poll(() => established(host(1))).toBe(hostBefore);
    await expect.poll(() => established(fleet.bastions[0]!)).toBe(bastionBefore);
  });

  it('fails only the host whose connection drops mid-command, then reconnects it', async () => {
    const pool = track(new SshConnectionPool());
    const [t1, t2] = [pool.get(through(fleet, host(1))), pool.get(through(fleet, host(2)))];
    await Promise.all([t1.exec(raw('true')), t2.exec(raw('true'))]);
    // Observed from the start: it rejects while the test is still busy killing sshd.
    const r1 = failure(t1.exec(raw('sleep 3; echo finished')));
    const r2 = t2.exec(raw('sleep 3; echo finished'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    const killed = await fleet.exec(host(1), ['pkill', '-f', 'sshd: bosun']);
    expect(killed.exitCode, killed.output).toBe(0);
    const error = await r1;
    expect(error.code).toBe('BOSUN_CONNECTION_LOST');
    expect(error.host).toBe('host1');
    expect(error.message).toMatch(
      /^host1: connection to bosun@host1:22 via bastion bosun@127\.0\.0\.1:\d+ lost/,
    );
    expect(await r2).toMatchObject({ code: 0, stdout: 'finished\n' });
    // The next command dials host1 again; the bastion connection was never lost.
    expect((await t1.exec(raw('echo back'))).stdout).toBe('back\n');
    expect(pool.connectCount).toBe(4);
  });

  it('reaches hosts through two bastions', async () => {
    const two = await startFleet({ hosts: 1, hops: 2 });
    const pool = new SshConnectionPool();
    try {
      expect(two.bastions).toHaveLength(2);
      const t = pool.get(through(two, two.hosts[0]!));
      const r = await t.exec(raw('hostname'));
      expect(r.stdout).toBe('host1\n');
      expect(pool.connectCount).toBe(3);
      // A name that does not exist behind the inner bastion: that bastion is named.
      const error = await failure(pool.get(through(two, 'host42')).exec(raw('true')));
      expect(error.code).toBe('BOSUN_UNREACHABLE');
      expect(error.message).toMatch(
        /^host42: cannot connect to bosun@host42:22 via bastion bosun@bastion2:22: /,
      );
    } finally {
      await pool.closeAll();
      await two.stop();
    }
  });
});

describe('host keys', () => {
  it('refuses a host whose key differs from known_hosts, naming both fingerprints', async () => {
    const file = join(scratch, 'known_hosts.mismatch');
    const impostor = host(2).hostKeys.map((key) => `host1 ${key}`);
    await writeFile(file, `${await knownHostsWithout('host1')}\n${impostor.join('\n')}\n`);
    // trustNewHostKeys does not make a changed key acceptable.
    const t = ssh(host(1), { knownHostsFiles: [file], trustNewHostKeys: true });
    const error = await failure(t.exec(raw('true')));
    expect(error.code).toBe('BOSUN_HOST_KEY_MISMATCH');
    expect(error.message).toContain('host1');
    expect(error.message).toContain(keyFingerprint(keyOfType(host(1), 'ssh-ed25519'))); // presented
    expect(error.message).toContain(keyFingerprint(keyOfType(host(2), 'ssh-ed25519'))); // expected
    expect(error.message).toMatch(new RegExp(`${file}:\\d+`));
    expect(await readFile(file, 'utf8')).not.toContain(keyOfType(host(1), 'ssh-ed25519'));
  });

  it('names the bastion when its key is the one that changed', async () => {
    const file = join(scratch, 'known_hosts.bastion');
    const bastion = fleet.bastions[0]!;
    const lines = host(1).hostKeys.map((key) => `[127.0.0.1]:${bastion.port} ${key}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const error = await failure(ssh(host(1), { knownHostsFiles: [file] }).exec(raw('true')));
    expect(error.code).toBe('BOSUN_HOST_KEY_MISMATCH');
    expect(error.message).toContain(`bastion bosun@127.0.0.1:${bastion.port}`);
  });

  it('asks the server for the key type known_hosts has', async () => {
    // Only host1's ECDSA key is known: the server must be asked for that one, not Ed25519.
    const file = join(scratch, 'known_hosts.ecdsa');
    await writeFile(
      file,
      `${await knownHostsWithout('host1')}\nhost1 ${keyOfType(host(1), 'ecdsa-sha2-nistp256')}\n`,
    );
    expect((await ssh(host(1), { knownHostsFiles: [file] }).exec(raw('hostname'))).stdout).toBe('host1\n');
  });

  it('refuses an unknown host by default, and accepts and records it with trustNewHostKeys', async () => {
    const file = join(scratch, 'new', '.ssh', 'known_hosts');
    const fleetLines = await knownHostsWithout('host3');
    // With no known_hosts at all, the first hop (the bastion) is the unknown one.
    const refused = await failure(ssh(host(3), { knownHostsFiles: [file] }).exec(raw('true')));
    expect(refused.code).toBe('BOSUN_HOST_KEY_UNKNOWN');
    expect(refused.message).toContain(
      `unknown host key for bastion bosun@127.0.0.1:${fleet.bastions[0]!.port}`,
    );
    expect(refused.message).toContain('--trust-new-host-keys');

    const base = join(scratch, 'known_hosts.base');
    await writeFile(base, `${fleetLines}\n`);
    const unknown = await failure(ssh(host(3), { knownHostsFiles: [file, base] }).exec(raw('true')));
    expect(unknown.code).toBe('BOSUN_HOST_KEY_UNKNOWN');
    expect(unknown.message).toMatch(/^host3: unknown host key for bosun@host3:22 via bastion/);
    expect(unknown.message).toContain(keyFingerprint(keyOfType(host(3), 'ssh-ed25519')));
    expect(existsSync(file)).toBe(false);

    const accepted: { host: string; port: number; fingerprint: string; file: string }[] = [];
    const t = ssh(host(3), {
      knownHostsFiles: [file, base],
      trustNewHostKeys: true,
      onHostKeyAccepted: (info) => accepted.push(info),
    });
    expect((await t.exec(raw('hostname'))).stdout).toBe('host3\n');
    expect(accepted).toEqual([
      { host: 'host3', port: 22, fingerprint: keyFingerprint(keyOfType(host(3), 'ssh-ed25519')), file },
    ]);
    expect(await readFile(file, 'utf8')).toBe(`host3 ${keyOfType(host(3), 'ssh-ed25519')}\n`);
    // Recorded: a later run without trusting new keys gets in.
    expect((await ssh(host(3), { knownHostsFiles: [file, base] }).exec(raw('true'))).code).toBe(0);
  });
});

describe('authentication', () => {
  it('refuses a key the server does not know with BOSUN_AUTH_FAILED naming user@host and the key', async () => {
    const keyPath = join(scratch, 'stranger_key');
    await writeFile(keyPath, generateUsableKey({}).private, { mode: 0o600 });
    const t = ssh(host(1), { privateKeyPath: keyPath });
    const error = await failure(t.exec(raw('true')));
    expect(error.code).toBe('BOSUN_AUTH_FAILED');
    expect(error.message).toContain('bosun@host1:22');
    expect(error.message).toContain(`publickey ${keyPath}`);
  });

  it('uses a key with its passphrase, and names the key (never the passphrase) when it is wrong', async () => {
    const good = ssh(host(1), { privateKeyPath: fleet.passphraseKeyPath, passphrase: fleet.keyPassphrase });
    expect((await good.exec(raw('whoami'))).stdout).toBe('bosun\n');
    const wrongPassphrase = `${fleet.keyPassphrase}-wrong`;
    const bad = ssh(host(1), { privateKeyPath: fleet.passphraseKeyPath, passphrase: wrongPassphrase });
    const error = await failure(bad.exec(raw('true')));
    expect(error.code).toBe('BOSUN_AUTH_FAILED');
    expect(error.message).toContain(fleet.passphraseKeyPath);
    expect(error.message).toMatch(/passphrase is wrong/);
    expect(error.message).not.toContain(wrongPassphrase);
    const missing = await failure(
      ssh(host(1), { privateKeyPath: fleet.passphraseKeyPath }).exec(raw('true')),
    );
    expect(missing.message).toMatch(/encrypted and no passphrase was given/);
  });

  it('refuses a wrong password without echoing it', async () => {
    const wrong = `${fleet.password}x`;
    const t = ssh(host(1), { user: 'pwuser', password: wrong, privateKeyPath: undefined });
    const error = await failure(t.exec(raw('true')));
    expect(error.code).toBe('BOSUN_AUTH_FAILED');
    expect(error.message).toMatch(/pwuser@host1:22 .*tried password/);
    expect(error.message).not.toContain(wrong);
  });

  it('authenticates with keys held by an ssh-agent', async () => {
    const socket = join(scratch, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await expect.poll(() => existsSync(socket)).toBe(true);
      await new Promise<void>((resolve, reject) =>
        execFile(
          'ssh-add',
          [fleet.privateKeyPath],
          { env: { ...process.env, SSH_AUTH_SOCK: socket } },
          (e) => (e ? reject(e) : resolve()),
        ),
      );
      const t = ssh(host(2), {
        privateKeyPath: undefined,
        agent: socket,
        bastions: [{ host: '127.0.0.1', port: fleet.bastions[0]!.port, user: 'bosun', agent: socket }],
      });
      expect((await t.exec(raw('whoami'))).stdout).toBe('bosun\n');
    } finally {
      agent.kill();
    }
  });
});

describe('unreachable hosts', () => {
  it('fails fast on a closed port with BOSUN_UNREACHABLE naming host:port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const t = track(
      createSshTransport({
        host: '127.0.0.1',
        port,
        user: 'bosun',
        sshConfig: false,
        agent: false,
        connectTimeout: 30_000,
      }),
    );
    const started = Date.now();
    const error = await failure(t.exec(raw('true')));
    // At once, not at the connect timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error.code).toBe('BOSUN_UNREACHABLE');
    expect(error.message).toBe(
      `127.0.0.1: cannot connect to bosun@127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
  });

  it('fails within the connect timeout when a host behind the bastion never answers, naming the bastion', async () => {
    // A paused container still completes the TCP handshake in its kernel but sshd never
    // sends a banner: the connect timeout must fire. (A made-up name would make Docker's DNS
    // ask outside resolvers, which tests must never do.)
    const target = host(3);
    await dockerCli(['pause', target.containerName]);
    try {
      const started = Date.now();
      const error = await failure(ssh(target, { connectTimeout: 4_000 }).exec(raw('true')));
      // At the timeout (plus the bastion's own login on a busy machine), not never.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(error.code).toBe('BOSUN_UNREACHABLE');
      expect(error.message).toContain('host3:22');
      expect(error.message).toContain(`via bastion bosun@127.0.0.1:${fleet.bastions[0]!.port}`);
    } finally {
      await dockerCli(['unpause', target.containerName]);
    }
  });

  it('names the bastion when the bastion itself is unreachable', async () => {
    const error = await failure(
      ssh(host(1), {
        bastions: [{ host: '127.0.0.1', port: 1, user: 'bosun', privateKeyPath: fleet.privateKeyPath }],
      }).exec(raw('true')),
    );
    expect(error.code).toBe('BOSUN_UNREACHABLE');
    expect(error.message).toMatch(
      /^host1: cannot connect to bastion bosun@127\.0\.0\.1:1: connection refused/,
    );
  });
});

function dockerCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('docker', args, (e) => (e ? reject(e) : resolve())));
}

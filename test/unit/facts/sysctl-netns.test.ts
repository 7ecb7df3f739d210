/**
 * The sysctl module's live path, for real and safely: every command runs inside a network
 * namespace made for this test (nsenter), so a net.* key changes there and nowhere else; the
 * test checks this machine's own value did not move. Needs root and unshare/nsenter.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procPath } from '../../../src/facts/sysctl.js';
import type { Plan } from '../../../src/modules/types.js';
import { spawnProcess } from '../../../src/transport/child-process.js';
import { type RemoteProcess, ShellTransport } from '../../../src/transport/shell-transport.js';
import { runModuleOn } from '../modules/engine-run.js';

class NetnsTransport extends ShellTransport {
  readonly target = 'test-netns';
  constructor(private readonly netns: string) {
    super();
  }
  protected async open(commandLine: string): Promise<RemoteProcess> {
    return spawnProcess('nsenter', [`--net=${this.netns}`, '/bin/sh', '-c', commandLine], this.target);
  }
  async close(): Promise<void> {}
}

const NASTY = `it's "q" $(touch pwned) \`touch pwned\` * ?`;
const root = mkdtempSync(join(tmpdir(), 'bosun-sysctl-'));
const netns = join(root, 'netns');
writeFileSync(netns, '');
const usable = process.getuid?.() === 0 && spawnSync('unshare', [`--net=${netns}`, 'true']).status === 0;

const PORTS = 'net.ipv4.ip_local_port_range';
const KEEPALIVE = 'net.ipv4.tcp_keepalive_time';
const t = new NetnsTransport(netns);

function inNetns(key: string): string {
  const r = spawnSync('nsenter', [`--net=${netns}`, 'cat', procPath(key)], { encoding: 'utf8' });
  return r.stdout.trim();
}

function own(key: string): string {
  return readFileSync(procPath(key), 'utf8').trim();
}

function steps(plan: Plan | undefined): string[] {
  return plan?.changed ? plan.steps.map((step) => step.description) : [];
}

let ownBefore: Record<string, string> = {};

beforeAll(() => {
  ownBefore = { [PORTS]: own(PORTS), [KEEPALIVE]: own(KEEPALIVE) };
});

afterAll(() => {
  if (usable) spawnSync('umount', [netns]);
  rmSync(root, { recursive: true, force: true });
  expect({ [PORTS]: own(PORTS), [KEEPALIVE]: own(KEEPALIVE) }, "this machine's own values moved").toEqual(
    ownBefore,
  );
});

describe.skipIf(!usable)('sysctl in a private network namespace', () => {
  it('writes the file and sets the live value, after a check run that changes neither', async () => {
    const file = join(root, `${NASTY}.conf`);
    const args = { name: PORTS, value: '20000   40000', sysctl_file: file };
    const live = inNetns(PORTS);
    const check = await runModuleOn(t, 'sysctl', args, { check: true, diff: true });
    expect(steps(check.plan)).toEqual([
      `write ${file} (${`${PORTS}=20000 40000\n`.length} bytes)`,
      `set ${PORTS} to 20000 40000 in the running kernel`,
    ]);
    expect(inNetns(PORTS)).toBe(live);
    const real = await runModuleOn(t, 'sysctl', args, { diff: true });
    expect(JSON.stringify(real.plan)).toBe(JSON.stringify(check.plan));
    expect(real.outcome).toMatchObject({
      changed: true,
      result: { live: 'set', live_value: live.replace(/\s+/, ' ') },
    });
    expect(inNetns(PORTS)).toBe('20000\t40000');
    expect(readFileSync(file, 'utf8')).toBe(`${PORTS}=20000 40000\n`);
    const again = await runModuleOn(t, 'sysctl', args);
    expect(again.plan).toMatchObject({ changed: false, result: { live: 'as asked' } });
  });

  it('sysctl_set fixes a live value that drifted while the file is right; reload: false leaves it', async () => {
    const file = join(root, 'keepalive.conf');
    writeFileSync(file, `# ours\n${KEEPALIVE} = 321\n`);
    const drifted = await runModuleOn(t, 'sysctl', { name: KEEPALIVE, value: 321, sysctl_file: file });
    expect(drifted.plan).toMatchObject({ changed: false, result: { live: 'left as it is' } });
    const set = await runModuleOn(t, 'sysctl', {
      name: KEEPALIVE,
      value: 321,
      sysctl_file: file,
      sysctl_set: true,
    });
    expect(steps(set.plan)).toEqual([`set ${KEEPALIVE} to 321 in the running kernel`]);
    expect(inNetns(KEEPALIVE)).toBe('321');
    expect(readFileSync(file, 'utf8')).toBe(`# ours\n${KEEPALIVE} = 321\n`);

    const noReload = await runModuleOn(t, 'sysctl', {
      name: KEEPALIVE,
      value: 654,
      sysctl_file: file,
      reload: false,
    });
    expect(steps(noReload.plan)).toEqual([`write ${file} (${`# ours\n${KEEPALIVE}=654\n`.length} bytes)`]);
    expect(inNetns(KEEPALIVE)).toBe('321');
    const absent = await runModuleOn(t, 'sysctl', { name: KEEPALIVE, state: 'absent', sysctl_file: file });
    expect(absent.outcome).toMatchObject({ changed: true });
    expect(readFileSync(file, 'utf8')).toBe('# ours\n');
    expect(inNetns(KEEPALIVE)).toBe('321');
  });

  it('expanded nothing', () => {
    expect(spawnSync('find', [root, '/', '-maxdepth', '1', '-name', 'pwned']).stdout.toString()).toBe('');
  });
});

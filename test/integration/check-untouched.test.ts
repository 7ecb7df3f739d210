/**
 * The check-mode step of the four-step protocol (expectFourSteps) tested on itself: a check run
 * that writes one byte, anywhere outside the named session noise, or that changes only a mode or
 * an owner, must fail it, also on a path an earlier run already changed. Each case sneaks the
 * write into the check run with `check_mode: false`; everything else about the play converges,
 * so the protocol can only fail where the check run's write is seen.
 */
import { describe, expect, it } from 'vitest';
import { mustRun, q, useFleet } from './support/fleet-hooks.js';
import { expectProtocol, type FleetNode, fingerprint, fingerprintChanges } from './support/harness.js';

// A name with a newline, a tab and a backslash: the fingerprint's records must keep it whole.
const ODD = '/etc/fp odd\nname\twith \\ in it';

const fleet = useFleet({
  hosts: 1,
  setup: async (started) => {
    // Files an earlier run changed: `docker diff` lists them already, before any check run.
    await mustRun(
      started,
      started.hosts[0]!,
      [
        'mkdir -p /etc/fp',
        'for f in rewrite mode owner same-size; do echo earlier > /etc/fp/$f; done',
        'echo earlier > /var/log/fp.log',
        `echo earlier > ${q(ODD)}`,
      ].join(' && '),
    );
  },
});
const host = () => fleet().hosts[0] as FleetNode;

/**
 * The protocol for a play of one real change (a new file) and `sneak`, a shell line run in the
 * check run too (`check_mode: false`) and reported ok, which makes the check run's only write.
 */
function protocolWith(sneak: string, name: string) {
  return expectProtocol(
    fleet(),
    [
      { name: 'the real change', copy: { dest: `/srv/${name}`, content: 'converged\n' } },
      { name: 'sneak', shell: sneak, check_mode: false, changed_when: false },
    ],
    async (node) => {
      expect(await mustRun(fleet(), node, `cat /srv/${name}`)).toBe('converged\n');
    },
    { changes: 1 },
  );
}

const SEEN = /check mode changed the container/;

describe('fingerprint', () => {
  it('hashes a file once, then again only when it changed, and sees the change', async () => {
    const first = await fingerprint(host());
    const second = await fingerprint(host());
    await mustRun(fleet(), host(), 'printf x >> /etc/fp/rewrite');
    const third = await fingerprint(host());
    // What a fingerprint costs, for CI's log.
    console.log(
      `fingerprint of ${host().name}: ${first.entries.size} entries; ${first.hashed} files hashed in ${first.ms} ms, then ${second.hashed} in ${second.ms} ms, then ${third.hashed} in ${third.ms} ms`,
    );
    expect(second.hashed).toBe(0);
    expect(fingerprintChanges(first, second)).toEqual([]);
    expect(third.hashed).toBe(1);
    expect(fingerprintChanges(second, third)).toEqual([
      expect.stringMatching(/^~ \/etc\/fp\/rewrite: f 644 0:0 (\w+) -> f 644 0:0 (?!\1)\w+$/),
    ]);
  });
});

describe('the check step of the four-step protocol', () => {
  it('passes a check run that writes nothing, on a host that has seen logins and sudo', async () => {
    await protocolWith('true', 'nothing');
  });

  it('fails a check run that appends one byte to a file under /etc', async () => {
    await expect(protocolWith('printf x >> /etc/debian_version', 'etc-byte')).rejects.toThrow(
      /~ \/etc\/debian_version: f 644 0:0 \w+ -> f 644 0:0 \w+/,
    );
  });

  it('fails a check run that appends one byte under /var/log (docker diff was filtered there)', async () => {
    await expect(protocolWith('printf x >> /var/log/fp.log', 'log-byte')).rejects.toThrow(
      /~ \/var\/log\/fp\.log: /,
    );
  });

  it('fails a check run that creates a file under /run or /tmp', async () => {
    await expect(protocolWith('touch /run/bosun-check', 'run-file')).rejects.toThrow(
      /\+ \/run\/bosun-check \(f 644 0:0 e3b0c442/,
    );
    await expect(protocolWith('mkdir /tmp/bosun-check', 'tmp-dir')).rejects.toThrow(
      /\+ \/tmp\/bosun-check \(d 755 0:0\)/,
    );
  });

  it('fails a check run that rewrites a file an earlier run changed already', async () => {
    await expect(protocolWith('echo again > /etc/fp/rewrite', 'rewrite')).rejects.toThrow(SEEN);
  });

  it('fails a check run that only changes a mode, or only an owner', async () => {
    await expect(protocolWith('chmod 0600 /etc/fp/mode', 'mode')).rejects.toThrow(
      /~ \/etc\/fp\/mode: f 644 0:0 (\w+) -> f 600 0:0 \1/,
    );
    await expect(protocolWith('chown bosun /etc/fp/owner', 'owner')).rejects.toThrow(
      /~ \/etc\/fp\/owner: f 644 0:0 (\w+) -> f 644 1000:0 \1/,
    );
  });

  it('fails a rewrite that keeps the size and the modification time', async () => {
    const file = '/etc/fp/same-size';
    const sneak = `printf 'EARLIER\\n' > ${file}.new && touch -r ${file} ${file}.new && cat ${file}.new > ${file} && touch -r ${file}.new ${file} && rm ${file}.new`;
    await expect(protocolWith(sneak, 'same-size')).rejects.toThrow(/~ \/etc\/fp\/same-size: /);
  });

  it('names a changed file whose name holds a newline, a tab and a backslash', async () => {
    await expect(protocolWith(`echo x >> ${q(ODD)}`, 'odd')).rejects.toThrow(SEEN);
    const before = await fingerprint(host());
    await mustRun(fleet(), host(), `chmod 0640 ${q(ODD)}`);
    const changes = fingerprintChanges(before, await fingerprint(host()));
    expect(changes).toEqual([
      expect.stringMatching(/^~ \/etc\/fp odd\nname\twith \\ in it: f 644 0:0 \w+ -> f 640 0:0 \w+$/),
    ]);
  });
});

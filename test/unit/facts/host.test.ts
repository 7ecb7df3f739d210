import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  ansibleFactVars,
  HOST_FACT_VARIABLES,
  type HostFacts,
  hostFactsScript,
  parseHostFacts,
} from '../../../src/facts/host.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { execResult, factFixtures } from './fixtures.js';
import { describeRecorded } from './recorded.js';

describeRecorded('host', 'parseHostFacts on recorded output', (result) => parseHostFacts(result));

describe('ansibleFactVars', () => {
  const facts = (name: string) => {
    const fixture = factFixtures('host').find((f) => f.name === name)!;
    return parseHostFacts(execResult(fixture.output));
  };

  it("gives Ansible's names, prefixed and in ansible_facts", () => {
    const vars = ansibleFactVars(facts('ubuntu-22.04'));
    expect(vars).toMatchObject({
      ansible_distribution: 'Ubuntu',
      ansible_distribution_version: '22.04',
      ansible_distribution_major_version: '22',
      ansible_distribution_release: 'jammy',
      ansible_os_family: 'Debian',
      ansible_architecture: 'x86_64',
      ansible_service_mgr: 'systemd',
      ansible_virtualization_type: 'kvm',
      ansible_virtualization_role: 'guest',
      ansible_processor_vcpus: 4,
      ansible_memtotal_mb: 7939,
      ansible_default_ipv4: { address: '192.168.122.10', interface: 'enp1s0', gateway: '192.168.122.1' },
      ansible_fqdn: 'web1.example.com',
      ansible_hostname: 'web1',
      ansible_pkg_mgr: 'apt',
      ansible_python: { executable: '/usr/bin/python3', version: { full: '3.10.12' } },
    });
    expect((vars.ansible_facts as Record<string, unknown>).distribution_release).toBe('jammy');
  });

  it('says NA where Ansible does: no codename, no virtualisation, no default route', () => {
    const amazon = ansibleFactVars(facts('amazon-linux-2023'));
    expect(amazon.ansible_distribution_release).toBe('NA');
    expect(amazon.ansible_pkg_mgr).toBe('dnf');
    const bare: HostFacts = { ...facts('debian-13'), vm: null, default_ipv4: null };
    const vars = ansibleFactVars(bare);
    expect(vars.ansible_virtualization_type).toBe('NA');
    expect(vars.ansible_default_ipv4).toEqual({});
    expect(vars).not.toHaveProperty('ansible_python');
  });

  it('lists every name gathering sets, for the load check', () => {
    const vars = ansibleFactVars(facts('debian-12'));
    expect([...HOST_FACT_VARIABLES].sort()).toEqual(['bosun_facts', ...Object.keys(vars)].sort());
  });
});

describe('hostFactsScript on this machine', () => {
  it('reads the distribution, kernel and CPUs this machine has', async () => {
    const facts = parseHostFacts(await new LocalTransport().exec(hostFactsScript()));
    const osRelease = readFileSync(
      existsSync('/etc/os-release') ? '/etc/os-release' : '/usr/lib/os-release',
      'utf8',
    );
    const id = /^ID=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, '');
    if (id === 'debian') expect(facts.distribution).toBe('Debian');
    expect(facts.kernel).toBe(release());
    expect(facts.cpus).toBeGreaterThan(0);
    expect(facts.memory_mb).toBeGreaterThan(0);
    expect(facts.init === 'systemd').toBe(existsSync('/run/systemd/system'));
  });
});

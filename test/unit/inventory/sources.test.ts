/**
 * Inventory sources side by side: a static YAML file and an executable printing Ansible's JSON,
 * merged in the order given, each with its own group_vars/; and hosts reached through a bastion
 * named by inventory name.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryConnection } from '../../../src/inventory/connection.js';
import { loadInventory, parseInventory } from '../../../src/inventory/loader.js';
import { registeredInventorySources } from '../../../src/inventory/sources.js';
import { runInProcess } from '../../support/in-process-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-sources-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(path: string, list: unknown, hostAnswers?: Record<string, unknown>): Promise<string> {
  const cases = Object.entries(hostAnswers ?? {})
    .map(([host, vars]) => `  "--host ${host}") echo '${JSON.stringify(vars)}' ;;`)
    .join('\n');
  await writeFile(
    path,
    `#!/bin/sh\ncase "$*" in\n  "--list") echo '${JSON.stringify(list)}' ;;\n${cases}\n  *) echo "unexpected: $*" >&2; exit 2 ;;\nesac\n`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('inventory sources', () => {
  it('registers yaml, aws_ec2 and script sources by name', () => {
    expect(registeredInventorySources()).toEqual(['aws_ec2', 'script', 'yaml']);
  });

  it('reads an executable that prints Ansible JSON with _meta.hostvars', async () => {
    const path = await script(join(dir, 'cmdb.sh'), {
      web: { hosts: ['web1', 'web2'], vars: { http_port: 8080 }, children: ['canary'] },
      canary: ['web2'],
      all: { hosts: ['lonely'], vars: { site: 'stg' } },
      _meta: { hostvars: { web1: { bosun_host: '10.0.0.1' }, web2: { bosun_host: '10.0.0.2' } } },
    });
    const inventory = await loadInventory([path], { cwd: dir });
    expect(inventory.hostNames()).toEqual(['web1', 'web2', 'lonely']);
    expect(inventory.host('web2').groups).toEqual(['all', 'web', 'canary']);
    expect(inventory.host('lonely').groups).toEqual(['all', 'ungrouped']);
    expect(inventory.plainVarsOf('web2')).toEqual({ site: 'stg', http_port: 8080, bosun_host: '10.0.0.2' });
    expect(inventory.varsOf('web1').bosun_host!.source).toMatchObject({
      origin: 'script',
      file: path,
      detail: '--list _meta.hostvars',
    });
    expect(inventory.group('all').children).toEqual(['web', 'ungrouped']);
  });

  it('draws the graph with each host variable and where it came from', async () => {
    const path = await script(join(dir, 'cmdb.sh'), {
      web: { hosts: ['web1'] },
      _meta: { hostvars: { web1: { bosun_host: '10.0.0.1', bosun_password: 'hunter2' } } },
    });
    const run = await runInProcess(['inventory', 'graph', '--vars', '-i', path], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        '@all:',
        '  |--@ungrouped:',
        '  |--@web:',
        '  |  |--web1',
        `  |  |  |--{bosun_host = 10.0.0.1}  # ${path}:1:1 (host web1, --list _meta.hostvars)`,
        `  |  |  |--{bosun_password = [redacted]}  # ${path}:1:1 (host web1, --list _meta.hostvars)`,
        '',
      ].join('\n'),
    );
  });

  it('asks --host for each host when the script gives no _meta', async () => {
    const path = await script(join(dir, 'old.sh'), { db: ['db1'] }, { db1: { bosun_port: 2222 } });
    const inventory = await loadInventory([path], { cwd: dir });
    expect(inventory.plainVarsOf('db1')).toEqual({ bosun_port: 2222 });
  });

  it('says which script failed and what it printed on stderr', async () => {
    const path = join(dir, 'broken.sh');
    await writeFile(path, '#!/bin/sh\necho "no token for the CMDB" >&2\nexit 3\n');
    await chmod(path, 0o755);
    await expect(loadInventory([path], { cwd: dir })).rejects.toThrow(
      /inventory script .*broken\.sh --list exited with 3:\nno token for the CMDB/,
    );
    const notJson = await script(join(dir, 'text.sh'), 'x');
    await writeFile(notJson, '#!/bin/sh\necho hello\n');
    await expect(loadInventory([notJson], { cwd: dir })).rejects.toThrow(/did not print JSON/);
  });

  it('merges sources in order, each group_vars folder applying to its hosts', async () => {
    await mkdir(join(dir, 'static', 'group_vars'), { recursive: true });
    await mkdir(join(dir, 'dynamic', 'group_vars'), { recursive: true });
    await writeFile(
      join(dir, 'static', 'hosts.yml'),
      'web:\n  hosts:\n    web1:\n      from: static\n  vars:\n    tier: static\n',
    );
    await writeFile(join(dir, 'static', 'group_vars', 'web.yml'), 'owner: static-team\nonly_static: 1\n');
    await script(join(dir, 'dynamic', 'cmdb'), {
      web: { hosts: ['web1', 'web9'] },
      _meta: { hostvars: { web1: { from: 'dynamic' }, web9: {} } },
    });
    await writeFile(join(dir, 'dynamic', 'group_vars', 'web.yml'), 'owner: dynamic-team\n');
    const inventory = await loadInventory(['static/hosts.yml', 'dynamic/cmdb'], { cwd: dir });
    expect(inventory.sources).toEqual(['static/hosts.yml', 'dynamic/cmdb']);
    expect(inventory.hostNames()).toEqual(['web1', 'web9']);
    const vars = inventory.varsOf('web9');
    expect(vars.owner!.value).toBe('dynamic-team');
    expect(vars.owner!.source.file).toBe('dynamic/group_vars/web.yml');
    expect(vars.owner!.overridden.map((o) => o.source.file)).toEqual(['static/group_vars/web.yml']);
    expect(vars.only_static!.value).toBe(1);
    // The later source's host vars win.
    expect(inventory.plainVarsOf('web1').from).toBe('dynamic');
    const reversed = await loadInventory(['dynamic/cmdb', 'static/hosts.yml'], { cwd: dir });
    expect(reversed.plainVarsOf('web1').from).toBe('static');
    expect(reversed.plainVarsOf('web1').owner).toBe('static-team');
  });

  it('loads every file of a folder, executables included', async () => {
    await mkdir(join(dir, 'inv'));
    await writeFile(join(dir, 'inv', 'a.yml'), 'all:\n  hosts:\n    a1:\n');
    await script(join(dir, 'inv', 'b'), { b: ['b1'], _meta: { hostvars: {} } });
    await writeFile(join(dir, 'inv', 'README'), 'not an inventory');
    const inventory = await loadInventory(['inv'], { cwd: dir });
    expect(inventory.hostNames()).toEqual(['a1', 'b1']);
  });

  it('takes a static group called plugin for a group', async () => {
    await writeFile(join(dir, 'odd.yml'), 'plugin:\n  hosts:\n    p1:\n');
    const inventory = await loadInventory(['odd.yml'], { cwd: dir });
    expect(inventory.hostsOf('plugin')).toEqual(['p1']);
  });

  it('names an unknown plugin', async () => {
    await writeFile(join(dir, 'gcp.yml'), 'plugin: gcp_compute\nprojects: [x]\n');
    await expect(loadInventory(['gcp.yml'], { cwd: dir })).rejects.toThrow(
      /gcp\.yml:1:9: plugin: unknown inventory plugin "gcp_compute"; known: aws_ec2/,
    );
  });
});

describe('a bastion named by inventory name (bosun_bastion)', () => {
  const inventory = parseInventory(`
all:
  vars:
    bosun_user: deploy
  children:
    bastions:
      hosts:
        jump1:
          bosun_host: 203.0.113.10
          bosun_port: 2200
          bosun_user: ops
          bosun_private_key_file: /keys/ops
        jump2:
          bosun_host: 10.1.0.5
          bosun_bastion: jump1
    private:
      hosts:
        app1:
          bosun_host: 10.1.2.3
          bosun_bastion: jump1
        app2:
          bosun_host: 10.2.2.3
          bosun_bastion: jump2
        lost:
          bosun_bastion: nowhere
        loop1:
          bosun_bastion: loop2
        loop2:
          bosun_bastion: loop1
`);

  it('dials the bastion as its own inventory variables say', () => {
    const connection = inventoryConnection(inventory, 'app1');
    expect(connection.transport).toMatchObject({
      kind: 'ssh',
      host: '10.1.2.3',
      user: 'deploy',
      bastions: [{ host: '203.0.113.10', port: 2200, user: 'ops', privateKeyPath: '/keys/ops' }],
    });
  });

  it("follows a bastion's own bastion", () => {
    const connection = inventoryConnection(inventory, 'app2');
    expect(connection.transport).toMatchObject({
      bastions: [
        { host: '203.0.113.10', port: 2200, user: 'ops' },
        { host: '10.1.0.5', user: 'deploy' },
      ],
    });
  });

  it('refuses a bastion that is not in the inventory, and a loop', () => {
    expect(() => inventoryConnection(inventory, 'lost')).toThrow(
      /host lost: bosun_bastion names "nowhere", which is not a host of the inventory/,
    );
    expect(() => inventoryConnection(inventory, 'loop1')).toThrow(
      /makes a loop of bastions: loop1 -> loop2 -> loop1/,
    );
  });
});

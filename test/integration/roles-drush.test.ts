/**
 * Role drush on two systemd hosts over real SSH, with the cron role before it (which installs
 * cron): host1 installs Drush globally (/opt/drush, as root), host2 into a site's Composer
 * project owned by www-data (/srv/site).
 *
 * What the test substitutes: Packagist is not reachable here, so each host holds a Composer
 * repository of the test's own, /srv/composer-repo, read through file:// (no server): a
 * packages.json (type composer) and tar dists of a package of drush/drush's shape, releases
 * 12.5.2 and 12.5.3, requiring what Drush 12 requires of the host (PHP 8.1, ext-dom, Composer's
 * runtime API 2.2). Its `drush` answers --version and cron, and logs who ran cron. host1 gets it
 * through the role's drush_composer_repository parameter (default Packagist); host2's site names
 * it in its own composer.json, as a site names its repositories. Nothing else is reached.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/vendor/yaml.js';
import { budget } from '../support/budget.js';
import { mustRun, q, useFleet } from './support/fleet-hooks.js';
import {
  changedTasks,
  expectFourSteps,
  type FleetNode,
  type RunOutcome,
  runTasks,
} from './support/harness.js';

const REPO = '/srv/composer-repo';
const VERSIONS = ['12.5.2', '12.5.3'];

/** The package's `drush`: the two commands the role and its cron entries use. */
const fakeDrush = (version: string) => `#!/bin/sh
# A stand-in of drush/drush ${version} for Bosun's test (Packagist is not reachable there).
for arg in "$@"; do
  case $arg in
    --version) echo "Drush Commandline Tool ${version}"; exit 0 ;;
    cron) echo "$(id -un) $*" >> /var/tmp/drush-cron.log; exit 0 ;;
  esac
done
echo "not in this stand-in: $*" >&2
exit 1
`;

const PACKAGES = JSON.stringify({
  packages: {
    'drush/drush': Object.fromEntries(
      VERSIONS.map((version) => [
        version,
        {
          name: 'drush/drush',
          version,
          type: 'library',
          bin: ['drush'],
          require: { php: '>=8.1', 'ext-dom': '*', 'composer-runtime-api': '^2.2' },
          dist: { type: 'tar', url: `file://${REPO}/drush-${version}.tar` },
        },
      ]),
    ),
  },
});

/** The repository on a host, and host2's site: a Composer project that names it. */
const SETUP = [
  ...VERSIONS.map((version) =>
    [
      `mkdir -p ${REPO}/build-${version}`,
      `printf '%s' ${q(fakeDrush(version))} > ${REPO}/build-${version}/drush`,
      `chmod 755 ${REPO}/build-${version}/drush`,
      `tar -C ${REPO}/build-${version} -cf ${REPO}/drush-${version}.tar drush`,
    ].join(' && '),
  ),
  `printf '%s' ${q(PACKAGES)} > ${REPO}/packages.json`,
  'mkdir -p /srv/site/web',
  `printf '%s' ${q(
    JSON.stringify({
      name: 'test/site',
      require: {},
      repositories: [{ type: 'composer', url: `file://${REPO}` }, { 'packagist.org': false }],
    }),
  )} > /srv/site/composer.json`,
  'chown -R www-data:www-data /srv/site',
].join(' && ');

const fleet = useFleet({
  hosts: 2,
  systemd: true,
  setup: (started) => Promise.all(started.hosts.map((node) => mustRun(started, node, SETUP))),
});

const CRM = {
  stg: { root: '/srv/crm/web', uri: 'http://crm.test' },
  prod: { host: 'crm.example.com', user: 'deploy', root: '/var/www/crm/web', ssh: { options: '-p 2222' } },
};

/** Per host, as inventory host vars: the role's parameters differ by host. */
const HOST_VARS: Record<string, Record<string, unknown>> = {
  host1: {
    drush_composer_repository: `file://${REPO}`,
    drush_aliases: [{ name: 'crm', environments: CRM }],
    drush_cron: [{ alias: 'crm.stg', minute: '*/15', user: 'www-data' }],
  },
  host2: {
    drush_install: 'project',
    drush_dir: '/srv/site',
    drush_owner: 'www-data',
    drush_php_packages: ['php-mbstring'],
    drush_aliases: [{ name: 'site', environments: { local: { root: '/srv/site/web' } } }],
    drush_cron: [{ alias: 'site.local', special_time: 'hourly' }],
  },
};

function applyDrush(hosts: string[], args: string[] = []): Promise<RunOutcome> {
  const files = Object.fromEntries(
    Object.entries(HOST_VARS).map(([host, vars]) => [`host_vars/${host}.yml`, JSON.stringify(vars)]),
  );
  return runTasks(fleet(), [], { hosts, roles: ['cron', 'drush'], files, args });
}

const shell = (node: FleetNode, command: string) => mustRun(fleet(), node, command);
const installedManifest = (node: FleetNode) =>
  `${node.name === 'host1' ? '/opt/drush' : '/srv/site'}/vendor/composer/installed.php`;

describe('role drush', () => {
  it(
    'converges fresh hosts, idempotently, as check mode predicts: Drush on the PATH, aliases, cron',
    async () => {
      const started = Date.now();
      const nodes = fleet().hosts;
      // When Composer last wrote each project, after the converging run.
      const written = new Map<string, string>();
      let runs = 0;
      const { converge } = await expectFourSteps(
        nodes,
        async ({ check }) => {
          const outcome = await applyDrush(
            nodes.map((node) => node.name),
            check ? ['--check', '--diff'] : [],
          );
          if (!check && ++runs === 1) {
            for (const node of nodes)
              written.set(node.name, await shell(node, `stat -c '%Y %i' ${installedManifest(node)}`));
          }
          return outcome;
        },
        async (node) => {
          // The second run called no Composer: its manifest is the converging run's.
          expect(await shell(node, `stat -c '%Y %i' ${installedManifest(node)}`)).toBe(
            written.get(node.name),
          );
          // On the PATH of a login (login.defs), for the site's user too.
          expect(await shell(node, "su -s /bin/sh -c 'command -v drush && drush --version' www-data")).toBe(
            '/usr/local/bin/drush\nDrush Commandline Tool 12.5.3\n',
          );
          expect(await shell(node, 'cat /etc/drush/drush.yml')).toContain(
            'alias-path:\n      - /etc/drush/sites\n',
          );
        },
        // cron's postinst starts cron.service: whether it then runs is known once it is installed;
        // check mode counts a crontab as something php-cli's maintainer scripts might change.
        { unknown: ['cron running', 'drush cron entries', 'drush cron entries at special times'] },
      );
      console.log(
        `drush: protocol ${Date.now() - started} ms; changed ${changedTasks(converge).length} tasks`,
      );

      const [host1, host2] = nodes as [FleetNode, FleetNode];
      // Global: the role's own project, from the repository it was given; root owns it.
      expect(
        await shell(host1, 'stat -c %U /opt/drush/vendor/bin/drush; readlink /usr/local/bin/drush'),
      ).toBe('root\n/opt/drush/vendor/bin/drush\n');
      expect(JSON.parse(await shell(host1, 'cat /opt/drush/composer.json')).repositories).toEqual([
        { type: 'composer', url: `file://${REPO}` },
        { 'packagist.org': false },
      ]);
      // Project: required into the site's composer.json, by its owner.
      expect(JSON.parse(await shell(host2, 'cat /srv/site/composer.json')).require).toEqual({
        'drush/drush': '12.5.3',
      });
      expect(await shell(host2, 'stat -c %U /srv/site/vendor /srv/site/composer.lock')).toBe(
        'www-data\nwww-data\n',
      );
      // drush_php_packages: a PHP extension from Debian.
      expect(await shell(host2, `php -r 'echo extension_loaded("mbstring") ? "yes" : "no";'`)).toBe('yes');

      // Aliases: Drush's file format, one file per site.
      expect(parseDocument(await shell(host1, 'cat /etc/drush/sites/crm.site.yml')).toJS()).toEqual(CRM);
      expect(parseDocument(await shell(host2, 'cat /etc/drush/sites/site.site.yml')).toJS()).toEqual({
        local: { root: '/srv/site/web' },
      });

      // Cron: named entries in www-data's crontab; the job line runs drush for the site.
      expect(await shell(host1, 'crontab -l -u www-data')).toBe(
        '#Ansible: drush cron @crm.stg\n*/15 * * * * /usr/local/bin/drush @crm.stg cron --quiet\n',
      );
      expect(await shell(host2, 'crontab -l -u www-data')).toBe(
        '#Ansible: drush cron @site.local\n@hourly /usr/local/bin/drush @site.local cron --quiet\n',
      );
      await shell(
        host1,
        'crontab -l -u www-data | tail -1 | cut -d" " -f6- > /tmp/job && su -s /bin/sh -c "sh /tmp/job" www-data',
      );
      expect(await shell(host1, 'cat /var/tmp/drush-cron.log')).toBe('www-data @crm.stg cron --quiet\n');
    },
    budget(240),
  );

  it('installs another pinned version with Composer, and only then', async () => {
    const host1 = fleet().hosts[0]!;
    const pinned = await applyDrush([host1.name], ['-e', JSON.stringify({ drush_version: '12.5.2' })]);
    expect(pinned.exitCode, pinned.output).toBe(0);
    expect(changedTasks(pinned).map((task) => task.split(' | ')[1])).toEqual([
      "Drush's composer.json",
      'Drush installed with Composer at the pinned version',
    ]);
    expect(await shell(host1, 'drush --version')).toBe('Drush Commandline Tool 12.5.2\n');
  });
});

/**
 * What check mode learns of a package change: the maintainer scripts read as text, the .deb
 * listing, and the effects made of a simulated install or removal.
 */
import { describe, expect, it } from 'vitest';
import {
  type DebPackage,
  type DebPrediction,
  parseDebPrediction,
  parseListing,
  permissionBits,
} from '../../../src/facts/deb-contents.js';
import {
  analyzeScripts,
  sysusersAccounts,
  tmpfilesFolders,
  unitInstallable,
} from '../../../src/predict/maintainer-scripts.js';
import { debPredictionEffects } from '../../../src/predict/packages.js';

// A postinst in the shape debhelper writes (written for this test): the package's own code,
// then debhelper's generated sections.
const POSTINST = `#!/bin/sh
set -e
# Mentions in comments do not count: /etc/ignored.conf
if [ "$1" = configure ]; then
    adduser --system --group --home /var/lib/tick --no-create-home _tick >/dev/null
    addgroup --system "$GROUPNAME"
    if [ ! -f /etc/tick/tick.conf ]; then
        cp /usr/share/tick/tick.conf.example /etc/tick/tick.conf
    fi
    pam-auth-update --package
fi
# Automatically added by dh_installsysusers/13.11.4
if [ "$1" = "configure" ] ; then
   systemd-sysusers tick.conf
   systemd-tmpfiles --create tick.conf
fi
# End automatically added section
# Automatically added by dh_installsystemd/13.11.4
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] ; then
    if deb-systemd-helper --quiet was-enabled 'tick.service'; then
        deb-systemd-helper enable 'tick.service' >/dev/null || true
    fi
fi
# End automatically added section
# Automatically added by dh_installsystemd/13.11.4
if [ "$1" = "configure" ] ; then
    if deb-systemd-helper debian-installed 'tock.service'; then
        if deb-systemd-helper --quiet was-enabled 'tock.service'; then
            deb-systemd-helper enable 'tock.service' >/dev/null || true
        fi
    fi
fi
# End automatically added section
# Automatically added by dh_installsystemd/13.11.4
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    deb-systemd-invoke $_dh_action 'tick.service' >/dev/null || true
    deb-systemd-invoke try-restart 'tock.service' >/dev/null || true
fi
# End automatically added section
exit 0
`;

// A package whose own code decides about its units and writes a file it names from a variable.
const OWN_CODE = `#!/bin/sh
set -e
DEFAULT="/etc/default/$PACKAGE"
ucf --three-way "$NEW" "$DEFAULT"
if [ "$ENABLED" = true ]; then systemctl enable tick.timer; else systemctl disable tick.timer; fi
`;

describe('maintainer scripts', () => {
  it('name the paths, units, accounts and helper writes of a postinst', () => {
    const findings = analyzeScripts({ postinst: POSTINST, postrm: 'rm -rf /var/lib/gone' });
    expect(findings.mentions.sort()).toEqual([
      '/etc/tick/tick.conf',
      '/usr/share/tick/tick.conf.example',
      '/var/lib/tick',
    ]);
    expect(findings.enables).toEqual(['tick.service']);
    expect(findings.starts).toEqual(['tick.service']);
    expect(findings.accounts).toEqual(['_tick']);
    // "$GROUPNAME": a name the text does not show.
    expect(findings.anyAccount).toBe(true);
    expect(findings.sysusers).toBe(true);
    expect(findings.tmpfiles).toBe(true);
    expect(findings.helperPaths).toContain('/etc/pam.d/common-password');
  });

  it("see through debhelper's --no-enable, and leave units and computed files to the package's own code", () => {
    // tock.service is enabled only where it was installed before (an upgrade), and only restarted.
    const plain = analyzeScripts({ postinst: POSTINST });
    expect(plain.enables).toEqual(['tick.service']);
    expect(plain.starts).toEqual(['tick.service']);
    expect(plain.unitsUnknown).toBe(false);
    const own = analyzeScripts({ postinst: OWN_CODE });
    expect(own.unitsUnknown).toBe(true);
    expect(own.folders).toEqual(['/etc/default']);
  });

  it('read sysusers.d, tmpfiles.d and unit files', () => {
    expect(
      sysusersAccounts('# system user\nu _tick - "Tick daemon" /var/lib/tick\ng ticks -\nm _tick adm\n'),
    ).toEqual(['_tick', 'ticks']);
    expect(
      tmpfilesFolders('d /run/tick 0750 _tick _tick -\nf /run/tick/x - - -\nD /var/cache/tick - - -\n'),
    ).toEqual([
      { path: '/run/tick', mode: 0o750, owner: '_tick', group: '_tick' },
      { path: '/var/cache/tick' },
    ]);
    expect(
      unitInstallable(
        '[Unit]\nDescription=x\n[Service]\nExecStart=/x\n[Install]\nWantedBy=multi-user.target\n',
      ),
    ).toBe(true);
    expect(unitInstallable('[Unit]\nDescription=x\n[Service]\nExecStart=/x\n')).toBe(false);
    expect(unitInstallable('[Install]\n# nothing\n[Service]\nWantedBy=x\n')).toBe(false);
  });
});

describe('.deb listings', () => {
  it('give each path its type, mode and owner', () => {
    expect(parseListing('drwxr-x--- root/root         0 2023-02-09 09:36 ./etc/audit/')).toEqual({
      type: 'directory',
      mode: 0o750,
      owner: 'root',
      group: 'root',
      size: 0,
      path: '/etc/audit',
    });
    expect(parseListing('-rwxr-sr-x root/crontab 43648 2023-03-02 07:33 ./usr/bin/crontab')).toMatchObject({
      type: 'file',
      mode: 0o2755,
      group: 'crontab',
      size: 43648,
      path: '/usr/bin/crontab',
    });
    expect(
      parseListing(
        'lrwxrwxrwx root/root         0 2023-02-09 09:36 ./lib/x86_64-linux-gnu/libx.so.0 -> libx.so.0.0.0',
      ),
    ).toMatchObject({ type: 'link', path: '/lib/x86_64-linux-gnu/libx.so.0', target: 'libx.so.0.0.0' });
    expect(
      parseListing('hrwxr-xr-x root/root 0 2023-02-09 09:36 ./usr/bin/b link to ./usr/bin/a'),
    ).toMatchObject({
      type: 'hardlink',
      path: '/usr/bin/b',
      target: '/usr/bin/a',
    });
    expect(parseListing('drwxr-xr-x root/root 0 2023-02-09 09:36 ./')).toBeUndefined();
    expect(permissionBits('-rwsr-xr-t')).toBe(0o5755);
  });
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the prediction script output', () => {
  it('gives the packages apt would install and what each holds', () => {
    const stdout = [
      'encoding=base64',
      'alias=/lib|/usr/lib',
      'inst=tick|1:1.0-1|amd64',
      'inst=libtick1|1.0-1|amd64',
      'pkg=tick|amd64|1:1.0-1',
      'provides=tick|ticker, time-daemon (= 1) ',
      'c=tick|drwxr-xr-x root/root         0 2024-01-01 00:00 ./',
      'c=tick|drwxr-xr-x root/root         0 2024-01-01 00:00 ./etc/tick/',
      'c=tick|-rw-r--r-- root/root        11 2024-01-01 00:00 ./etc/tick/tick.conf',
      `script=tick|conffiles|${b64('/etc/tick/tick.conf\n')}`,
      `script=tick|postinst|${b64('#!/bin/sh\nexit 0\n')}`,
      `read=tick|./etc/tick/tick.conf|${b64('interval=1\n')}`,
      'nodeb=libtick1|1.0-1|amd64',
    ].join('\n');
    const prediction = parseDebPrediction({ code: 0, stdout, stderr: '', durationMs: 1 });
    expect(prediction.aliases).toEqual([['/lib', '/usr/lib']]);
    expect(prediction.installs).toEqual([
      { name: 'tick', arch: 'amd64', version: '1:1.0-1' },
      { name: 'libtick1', arch: 'amd64', version: '1.0-1' },
    ]);
    const [tick] = prediction.packages;
    expect(tick?.provides).toEqual(['ticker', 'time-daemon']);
    expect(tick?.entries.map((entry) => [entry.type, entry.path])).toEqual([
      ['directory', '/etc/tick'],
      ['file', '/etc/tick/tick.conf'],
    ]);
    expect(tick?.conffiles).toEqual(['/etc/tick/tick.conf']);
    expect(tick?.scripts.postinst).toBe('#!/bin/sh\nexit 0\n');
    expect(tick?.contents.get('/etc/tick/tick.conf')?.toString()).toBe('interval=1\n');
    // A package that could not be fetched leaves the prediction incomplete: said as an error.
    expect(prediction.error).toBe('cannot download libtick1 to read what it installs');
  });

  it("says apt's error when it cannot resolve the change", () => {
    const stdout = 'bosun-sim-failed\nerror=E: Unable to locate package nosuch \n';
    expect(parseDebPrediction({ code: 0, stdout, stderr: '', durationMs: 1 })).toMatchObject({
      error: 'E: Unable to locate package nosuch',
      installs: [],
    });
  });
});

function pkg(fields: Partial<DebPackage>): DebPackage {
  return {
    name: 'tick',
    arch: 'amd64',
    version: '1.0-1',
    entries: [],
    contents: new Map(),
    conffiles: [],
    scripts: {},
    provides: [],
    ...fields,
  };
}

describe('the effects of a simulated change', () => {
  const unit = '[Service]\nExecStart=/usr/sbin/tickd\n[Install]\nWantedBy=multi-user.target\n';
  const prediction: DebPrediction = {
    aliases: [['/lib', '/usr/lib']],
    installs: [
      { name: 'tick', arch: 'amd64', version: '1.0-1' },
      { name: 'libtick1', arch: 'amd64', version: '1.0-1' },
    ],
    removes: [{ name: 'tock', arch: '', version: '2.0', purge: false }],
    packages: [
      pkg({
        entries: [
          { type: 'directory', mode: 0o755, owner: 'root', group: 'root', size: 0, path: '/etc/tick' },
          { type: 'file', mode: 0o644, owner: 'root', group: 'root', size: 9, path: '/etc/tick/tick.conf' },
          {
            type: 'file',
            mode: 0o644,
            owner: 'root',
            group: 'root',
            size: 60,
            path: '/lib/systemd/system/tick.service',
          },
          { type: 'file', mode: 0o755, owner: 'root', group: 'root', size: 900, path: '/usr/sbin/tickd' },
        ],
        contents: new Map([
          ['/etc/tick/tick.conf', Buffer.from('interval=1\n')],
          ['/lib/systemd/system/tick.service', Buffer.from(unit)],
        ]),
        conffiles: ['/etc/tick/tick.conf'],
        scripts: { postinst: POSTINST },
        provides: ['ticker'],
      }),
    ],
    removedFiles: [
      { package: 'tock', path: '/usr/bin/tock', conffile: false },
      { package: 'tock', path: '/etc/tock.conf', conffile: true },
    ],
  };

  it('are the packages, their files, units and accounts, and what scripts may change', () => {
    const { effects, error } = debPredictionEffects(prediction);
    expect(error).toBeUndefined();
    expect(effects).toContainEqual({ kind: 'alias', path: '/lib', target: '/usr/lib' });
    expect(effects).toContainEqual({
      kind: 'package',
      name: 'tick',
      arch: 'amd64',
      status: 'installed',
      version: '1.0-1',
      provides: ['ticker'],
      described: true,
    });
    // A dependency the simulation saw but whose files were described earlier in the run.
    expect(effects).toContainEqual({
      kind: 'package',
      name: 'libtick1',
      arch: 'amd64',
      status: 'installed',
      version: '1.0-1',
    });
    // Folders and configuration files only where the host has none.
    expect(effects).toContainEqual({
      kind: 'path',
      path: '/etc/tick',
      after: { type: 'directory', mode: 0o755, owner: 'root', group: 'root' },
      ifMissing: true,
    });
    expect(effects).toContainEqual({
      kind: 'path',
      path: '/usr/sbin/tickd',
      after: { type: 'file', size: 900, mode: 0o755, owner: 'root', group: 'root' },
    });
    // The postinst may rewrite the configuration file: its content is then not known.
    const conf = effects.filter((effect) => effect.kind === 'path' && effect.path === '/etc/tick/tick.conf');
    expect(conf.at(-1)).toEqual({
      kind: 'path',
      path: '/etc/tick/tick.conf',
      after: { type: 'file', size: 9 },
      why: "tick's maintainer scripts may change it",
    });
    expect(effects).toContainEqual({
      kind: 'path',
      path: '/var/lib/tick',
      after: { type: 'unknown' },
      ifMissing: true,
      why: "tick's maintainer scripts may change it",
    });
    expect(effects).toContainEqual({
      kind: 'path',
      path: '/etc/pam.d/common-auth',
      after: { type: 'unknown' },
      why: "tick's maintainer scripts may change it",
    });
    expect(effects).toContainEqual({
      kind: 'unit',
      name: 'tick.service',
      after: { unitFileState: 'enabled', active: null },
      why: "tick's maintainer scripts start tick.service: whether it runs is known once it is installed",
    });
    expect(effects).toContainEqual({
      kind: 'accounts',
      names: ['_tick'],
      why: "tick's maintainer scripts create it",
    });
    expect(effects).toContainEqual({
      kind: 'opaque',
      scope: 'missing-accounts',
      why: "tick's maintainer scripts create accounts",
    });
    // A removal keeps configuration files (not purged): the package is left in config-files.
    expect(effects).toContainEqual({ kind: 'package', name: 'tock', status: 'config-files' });
    expect(effects).toContainEqual({ kind: 'path', path: '/usr/bin/tock', after: { type: 'absent' } });
    expect(effects.some((effect) => effect.kind === 'path' && effect.path === '/etc/tock.conf')).toBe(false);
  });

  it('leave packages, missing paths and accounts not known when apt cannot simulate', () => {
    const { effects, error } = debPredictionEffects({
      ...prediction,
      error: 'E: Unable to locate package tick',
    });
    expect(error).toBe('E: Unable to locate package tick');
    expect(
      effects
        .filter((effect) => effect.kind === 'opaque')
        .map((effect) => effect.kind === 'opaque' && effect.scope),
    ).toEqual(['packages', 'missing-paths', 'missing-accounts']);
  });
});

/**
 * The file modules (template, lineinfile, blockinfile, replace, stat, slurp, file links) on a
 * fleet host over real SSH: the four-step protocol for each (check mode on a fresh path
 * predicts and touches nothing, converge, idempotence, verify on the host), with names and
 * values full of shell syntax, plus validate, backup and refusal cases.
 */
import { describe, expect, it } from 'vitest';
import { expectNoInjection, mustRun, q, shown, useFleet } from './support/fleet-hooks.js';
import { expectProtocol, type FleetNode, runTasks } from './support/harness.js';

const fleet = useFleet({ hosts: 1 });

/** A folder name any unquoted use would break on or expand: quotes, $(), backticks, globs. */
const NASTY = `dir it's "q" $(touch /tmp/pwned) \`touch /tmp/pwned\` * ? [a]`;
/** Shell syntax inside file content and values. */
const VALUE = `it's "q" $(touch /tmp/pwned) \`touch /tmp/pwned\` * $HOME`;

const sh = (node: FleetNode, command: string) => mustRun(fleet(), node, command);
const noInjection = (node: FleetNode) => expectNoInjection(fleet(), node);

function node(): FleetNode {
  return fleet().hosts[0] as FleetNode;
}

describe('template', () => {
  const dir = `/etc/bosun-template/${NASTY}`;
  const files = {
    'templates/app.conf.hbs':
      'name={{ app_name }}\nvalue={{ app_value }}\n{{#each ports}}port={{this}}\n{{/each}}',
    'templates/sshd.conf.hbs': 'ClientAliveInterval {{ interval }}\n',
  };
  const vars = { app_name: 'shop', app_value: VALUE, ports: [80, 443], interval: 120 };

  it('renders on the controller and writes atomically, with mode, owner, group and validate', async () => {
    await sh(node(), `mkdir -p ${q(dir)}`);
    const tasks = [
      { name: 'app', template: { src: 'app.conf.hbs', dest: `${dir}/app.conf`, mode: '0640', group: 'adm' } },
      {
        name: 'sshd',
        template: { src: 'sshd.conf.hbs', dest: `${dir}/sshd.conf`, validate: '/usr/sbin/sshd -t -f %s' },
      },
    ];
    await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        expect(await sh(n, `cat ${q(`${dir}/app.conf`)}`)).toBe(
          `name=shop\nvalue=${VALUE}\nport=80\nport=443\n`,
        );
        expect(await sh(n, `stat -c '%a %U %G' ${q(`${dir}/app.conf`)}`)).toBe('640 root adm\n');
        expect(await sh(n, `cat ${q(`${dir}/sshd.conf`)}`)).toBe('ClientAliveInterval 120\n');
        expect(await sh(n, `ls -A ${q(dir)}`)).toBe('app.conf\nsshd.conf\n');
        await noInjection(n);
      },
      { files, vars, changes: 2 },
    );
  });

  it('keeps the old file when validate fails, and backs up what it replaces', async () => {
    const dest = `${dir}/sshd.conf`;
    const bad = await runTasks(
      fleet(),
      [{ name: 'bad', template: { src: 'sshd.conf.hbs', dest, validate: '/usr/sbin/sshd -t -f %s' } }],
      { files, vars: { ...vars, interval: 'not-a-number' } },
    );
    expect(bad.exitCode).not.toBe(0);
    expect(bad.results[0]?.status).toBe('failed');
    expect(bad.results[0]?.msg).toMatch(/^failed to validate /);
    expect(await sh(node(), `cat ${q(dest)}; ls -A ${q(dir)}`)).toBe(
      'ClientAliveInterval 120\napp.conf\nsshd.conf\n',
    );

    const backed = await runTasks(
      fleet(),
      [{ name: 'backup', template: { src: 'sshd.conf.hbs', dest, backup: true } }],
      { files, vars: { ...vars, interval: 60 } },
    );
    expect(backed.exitCode, backed.output).toBe(0);
    const listing = await sh(node(), `cd ${q(dir)} && ls -A && cat sshd.conf.*~ sshd.conf`);
    expect(listing).toMatch(/^app\.conf\nsshd\.conf\nsshd\.conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~\n/);
    expect(listing.endsWith('ClientAliveInterval 120\nClientAliveInterval 60\n')).toBe(true);
  });
});

describe('template keeps the bytes of values', () => {
  it("writes a variable's carriage returns as they are: CRLF data stays CRLF", async () => {
    const dest = '/etc/bosun-crlf.txt';
    // The template's own line breaks are \n; the value's are \r\n and a lone \r.
    const files = { 'templates/crlf.hbs': 'data={{ data }}\nend\n' };
    const vars = { data: 'line 1\r\nline 2\rline 3\r\n' };
    await expectProtocol(
      fleet(),
      [{ name: 'crlf', template: { src: 'crlf.hbs', dest } }],
      async (n) => {
        const bytes = Buffer.from('data=line 1\r\nline 2\rline 3\r\n\nend\n');
        expect(await sh(n, `base64 -w0 ${q(dest)}`)).toBe(bytes.toString('base64'));
      },
      { files, vars, changes: 1 },
    );
  });
});

describe('lineinfile', () => {
  const dir = `/etc/bosun-lineinfile/${NASTY}`;
  const conf = `${dir}/sshd.conf`;
  const created = `${dir}/new\nsub dir/created.conf`;

  it('replaces, inserts, removes and creates lines; follows a symbolic link', async () => {
    await sh(
      node(),
      `mkdir -p ${q(dir)} && cd ${q(dir)} && printf 'Port 22\\n#PermitRootLogin yes\\n# drop me\\nX11Forwarding yes\\n' > sshd.conf && ln -s sshd.conf link.conf`,
    );
    const tasks = [
      {
        name: 'root login',
        lineinfile: {
          path: conf,
          regexp: '^#?PermitRootLogin\\s',
          line: 'PermitRootLogin no',
          validate: '/usr/sbin/sshd -t -f %s',
        },
      },
      {
        name: 'x11',
        lineinfile: { path: conf, regexp: '^(X11Forwarding) yes$', line: '\\1 no', backrefs: true },
      },
      { name: 'after port', lineinfile: { path: conf, line: 'AddressFamily inet', insertafter: '^Port ' } },
      { name: 'drop', lineinfile: { path: conf, regexp: '^# drop', state: 'absent' } },
      { name: 'through link', lineinfile: { path: `${dir}/link.conf`, line: `Banner none` } },
      { name: 'create', lineinfile: { path: created, line: VALUE, create: true, mode: '0600' } },
    ];
    const { check } = await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        expect(await sh(n, `cat ${q(conf)}`)).toBe(
          'Port 22\nAddressFamily inet\nPermitRootLogin no\nX11Forwarding no\nBanner none\n',
        );
        expect(await sh(n, `readlink ${q(`${dir}/link.conf`)}`)).toBe('sshd.conf\n');
        expect(await sh(n, `cat ${q(created)}; stat -c %a ${q(created)}`)).toBe(`${VALUE}\n600\n`);
        await noInjection(n);
      },
      { changes: 6 },
    );
    // Check mode showed the edit as a diff of the file.
    const predicted = check.results.find((result) => result.task === 'root login')?.diffs?.[0]?.unified;
    expect(predicted).toBe(
      `--- before: ${conf}\n+++ after: ${conf}\n@@ -1,4 +1,4 @@\n Port 22\n-#PermitRootLogin yes\n+PermitRootLogin no\n # drop me\n X11Forwarding yes\n`,
    );
  });

  it('refuses binary files and reports a backup', async () => {
    const binary = await runTasks(fleet(), [
      { name: 'bin', lineinfile: { path: '/usr/bin/env', line: 'x' } },
    ]);
    expect(binary.results[0]?.status).toBe('failed');
    expect(binary.results[0]?.msg).toBe(
      '/usr/bin/env is not a text file (it holds binary data): lineinfile edits text files only',
    );

    const backed = await runTasks(fleet(), [
      { name: 'b', lineinfile: { path: conf, line: 'UseDNS no', backup: true }, register: 'r' },
      { name: 'show', debug: { var: 'r.backup' } },
    ]);
    expect(backed.exitCode, backed.output).toBe(0);
    const backup = shown(backed, 'show') as string;
    expect(backup.startsWith(`${conf}.`)).toBe(true);
    expect(await sh(node(), `tail -n 1 ${q(backup)}; tail -n 1 ${q(conf)}`)).toBe('Banner none\nUseDNS no\n');
  });
});

describe('blockinfile', () => {
  const dir = `/etc/bosun-blockinfile/${NASTY}`;
  const hosts = `${dir}/hosts`;

  it('inserts, keeps and removes marked blocks', async () => {
    await sh(
      node(),
      `mkdir -p ${q(dir)} && cd ${q(dir)} && printf '127.0.0.1 localhost\\n::1 localhost\\n' > hosts && printf 'keep\\n# BEGIN ANSIBLE MANAGED BLOCK\\nstale\\n# END ANSIBLE MANAGED BLOCK\\n' > old.conf`,
    );
    const tasks = [
      {
        name: 'block',
        blockinfile: {
          path: hosts,
          block: `10.0.0.2 db\n10.0.0.3 "${VALUE}"`,
          marker: '# {mark} app hosts',
          insertafter: '^127\\.',
        },
      },
      { name: 'remove', blockinfile: { path: `${dir}/old.conf`, state: 'absent' } },
      {
        name: 'create',
        blockinfile: {
          path: `${dir}/new/created.conf`,
          block: 'a=1',
          create: true,
          mode: '0640',
          owner: 'nobody',
        },
      },
    ];
    await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        expect(await sh(n, `cat ${q(hosts)}`)).toBe(
          `127.0.0.1 localhost\n# BEGIN app hosts\n10.0.0.2 db\n10.0.0.3 "${VALUE}"\n# END app hosts\n::1 localhost\n`,
        );
        expect(await sh(n, `cat ${q(`${dir}/old.conf`)}`)).toBe('keep\n');
        const created = `${dir}/new/created.conf`;
        expect(await sh(n, `cat ${q(created)}; stat -c '%a %U' ${q(created)}`)).toBe(
          '# BEGIN ANSIBLE MANAGED BLOCK\na=1\n# END ANSIBLE MANAGED BLOCK\n640 nobody\n',
        );
        await noInjection(n);
      },
      { changes: 3 },
    );
  });
});

describe('replace', () => {
  const dir = `/etc/bosun-replace/${NASTY}`;
  const conf = `${dir}/app.ini`;

  it('replaces every match, within after/before, keeping $ literal', async () => {
    await sh(
      node(),
      `mkdir -p ${q(dir)} && printf '[a]\\nhost=old1\\n[b]\\nhost=old2\\nhost=old3\\n[c]\\nhost=old4\\n' > ${q(conf)}`,
    );
    const tasks = [
      {
        name: 'in b',
        replace: {
          path: conf,
          regexp: '^host=old(\\d)$',
          replace: 'host=new\\1 $HOME',
          after: '\\[b\\]',
          before: '\\[c\\]',
        },
      },
      {
        name: 'group',
        replace: { path: conf, regexp: '^\\[(?P<s>a)\\]$', replace: '[\\g<s>-main]', group: 'adm' },
      },
    ];
    await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        expect(await sh(n, `cat ${q(conf)}; stat -c %G ${q(conf)}`)).toBe(
          '[a-main]\nhost=old1\n[b]\nhost=new2 $HOME\nhost=new3 $HOME\n[c]\nhost=old4\nadm\n',
        );
      },
      { changes: 2 },
    );
  });
});

describe('file links', () => {
  const dir = `/srv/bosun-links/${NASTY}`;

  it('makes symbolic and hard links, replacing a file with force, setting the target mode', async () => {
    await sh(
      node(),
      `mkdir -p ${q(dir)} && cd ${q(dir)} && echo data > 'target file' && chmod 644 'target file' && echo old > forced`,
    );
    const tasks = [
      { name: 'symlink', file: { path: `${dir}/sym`, src: 'target file', state: 'link', mode: '0600' } },
      {
        name: 'dangling',
        file: { path: `${dir}/later`, src: '/nonexistent/later', state: 'link', force: true },
      },
      { name: 'hard', file: { path: `${dir}/hard`, src: `${dir}/target file`, state: 'hard' } },
      { name: 'forced', file: { path: `${dir}/forced`, src: 'target file', state: 'link', force: true } },
    ];
    await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        const d = q(dir);
        expect(await sh(n, `cd ${d} && readlink sym later forced`)).toBe(
          'target file\n/nonexistent/later\ntarget file\n',
        );
        expect(await sh(n, `cd ${d} && stat -c '%a %h %i' 'target file' && stat -c '%h %i' hard`)).toMatch(
          /^600 2 (\d+)\n2 \1\n$/,
        );
        await noInjection(n);
      },
      { changes: 4 },
    );
  });

  it('refuses to replace a file by a link without force', async () => {
    const r = await runTasks(fleet(), [
      { name: 'x', file: { path: `${dir}/hard`, src: 'target file', state: 'link' } },
    ]);
    expect(r.results[0]?.status).toBe('failed');
    expect(r.results[0]?.msg).toBe(`refusing to convert from hard to symlink for ${dir}/hard`);
  });
});

describe('stat and slurp', () => {
  const dir = `/srv/bosun-stat/${NASTY}`;

  it('report without ever changing anything', async () => {
    await sh(
      node(),
      `mkdir -p ${q(dir)} && head -c 300 /dev/urandom > ${q(`${dir}/blob.bin`)} && chmod 640 ${q(`${dir}/blob.bin`)}`,
    );
    const blob = await sh(node(), `base64 -w0 < ${q(`${dir}/blob.bin`)}`);
    const tasks = [
      { name: 'stat passwd', stat: { path: '/etc/passwd' }, register: 'st' },
      { name: 'stat missing', stat: { path: `${dir}/none` }, register: 'none' },
      { name: 'slurp', slurp: { src: '/etc/debian_version' }, register: 'deb' },
      { name: 'check', assert: { that: ['st.stat.exists', 'st.stat.isreg', 'not none.stat.exists'] } },
    ];
    await expectProtocol(
      fleet(),
      tasks,
      async (n) => {
        const r = await runTasks(fleet(), [
          { name: 'stat', stat: { path: `${dir}/blob.bin`, checksum_algorithm: 'sha256' }, register: 's' },
          { name: 'show stat', debug: { var: 's.stat' } },
          { name: 'link', stat: { path: '/etc/localtime' }, register: 'l' },
          { name: 'show link', debug: { var: 'l.stat' } },
          { name: 'slurp', slurp: { path: `${dir}/blob.bin` }, register: 'b' },
          { name: 'show slurp', debug: { var: 'b' } },
        ]);
        expect(r.exitCode, r.output).toBe(0);
        expect(r.results.filter((result) => result.status === 'changed')).toEqual([]);
        const stat = shown(r, 'show stat') as Record<string, unknown>;
        const hash = await sh(
          n,
          `sha256sum < ${q(`${dir}/blob.bin`)}; stat -c '%i %Y' ${q(`${dir}/blob.bin`)}`,
        );
        const [sum, inode, mtime] = hash.replace(/ +-\n/, ' ').trim().split(' ');
        expect(stat).toMatchObject({
          exists: true,
          path: `${dir}/blob.bin`,
          mode: '0640',
          isreg: true,
          islnk: false,
          size: 300,
          pw_name: 'root',
          checksum: sum,
          inode: Number(inode),
          mtime: Number(mtime),
          readable: true,
        });
        const link = shown(r, 'show link') as Record<string, unknown>;
        const target = await sh(n, 'readlink /etc/localtime; readlink -f /etc/localtime');
        expect(`${link.lnk_target}\n${link.lnk_source}\n`).toBe(target);
        expect(link.islnk).toBe(true);
        expect(shown(r, 'show slurp')).toMatchObject({
          content: blob,
          encoding: 'base64',
          source: `${dir}/blob.bin`,
          changed: false,
        });
      },
      { changes: 0 },
    );
  });
});

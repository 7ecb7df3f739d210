import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authorizedKeysScript, parseAuthorizedKeys } from '../../../src/facts/authorized-keys.js';
import { groupFactsScript, parseGroupFacts } from '../../../src/facts/group.js';
import {
  namesGroup,
  parseGroupLine,
  parsePasswdLine,
  parseUserFacts,
  userFactsScript,
} from '../../../src/facts/passwd.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { execResult } from './fixtures.js';
import { describeRecorded, thrownBy } from './recorded.js';

describeRecorded('passwd', 'parseUserFacts on recorded output', (result, f) =>
  parseUserFacts(result, f.account as string),
);

describe('passwd and group lines', () => {
  it('parses the seven passwd fields, an empty comment and a comment with quotes', () => {
    expect(parsePasswdLine('a:x:1:2::/home/a:/bin/sh')).toEqual({
      name: 'a',
      uid: 1,
      gid: 2,
      comment: '',
      home: '/home/a',
      shell: '/bin/sh',
    });
    expect(parsePasswdLine(`b:x:3:4:it's "b":/h:`)?.comment).toBe(`it's "b"`);
    expect(parsePasswdLine('a:x:1:2:/home/a:/bin/sh')).toBeUndefined();
    expect(parsePasswdLine('a:x:one:2::/home/a:/bin/sh')).toBeUndefined();
  });

  it('parses group members, none or several', () => {
    expect(parseGroupLine('g:x:10:')).toEqual({ name: 'g', gid: 10, members: [] });
    expect(parseGroupLine('g:x:10:a,b')).toEqual({ name: 'g', gid: 10, members: ['a', 'b'] });
    expect(parseGroupLine('g:x:10')).toBeUndefined();
  });

  it('matches a group argument by name, or by gid when all digits', () => {
    const group = { name: 'users', gid: 100 };
    expect(namesGroup('users', group)).toBe(true);
    expect(namesGroup('100', group)).toBe(true);
    expect(namesGroup(100, group)).toBe(true);
    expect(namesGroup('101', group)).toBe(false);
    expect(namesGroup('staff', group)).toBe(false);
  });
});

describe('parseGroupFacts', () => {
  it('keeps only an entry of the very name asked for (getent answers a number with a gid)', () => {
    expect(parseGroupFacts(execResult({ stdout: 'group=users:x:100:\n' }), '100')).toEqual({});
    expect(parseGroupFacts(execResult({ stdout: 'group=users:x:100:a\n' }), 'users')).toEqual({
      group: { name: 'users', gid: 100, members: ['a'] },
    });
  });

  it('fails on a failed script or a garbled entry', () => {
    expect(thrownBy(() => parseGroupFacts(execResult({ code: 2, stderr: 'boom\n' }), 'g'))).toMatchObject({
      code: 'BOSUN_MODULE_FAILED',
      message: 'cannot look up group g: boom',
    });
    expect(thrownBy(() => parseGroupFacts(execResult({ stdout: 'group=g:x\n' }), 'g'))).toMatchObject({
      message: 'cannot look up group g: unexpected group entry "g:x"',
    });
  });
});

describe('parseAuthorizedKeys', () => {
  it('fails on a failed script and on a garbled stat line', () => {
    expect(
      thrownBy(() => parseAuthorizedKeys(execResult({ code: 1, stderr: 'denied\n' }), 'kim')),
    ).toMatchObject({
      code: 'BOSUN_MODULE_FAILED',
      message: 'cannot read the authorized keys of kim: denied',
    });
    const garbled = execResult({
      stdout: 'passwd=kim:x:1:1::/home/kim:/bin/sh\npath=/p\ndir=directory|7x|1|1\n',
    });
    expect(thrownBy(() => parseAuthorizedKeys(garbled, 'kim'))).toMatchObject({
      message: 'cannot read the authorized keys of kim: unexpected stat output "directory|7x|1|1"',
    });
  });
});

describe('the scripts on this machine', () => {
  const t = new LocalTransport();
  const me = userInfo();
  const root = mkdtempSync(join(tmpdir(), 'bosun-passwd-'));
  const canary = join(root, `pwned-${randomBytes(4).toString('hex')}`);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('describes the current account, its primary group and its home', async () => {
    const facts = parseUserFacts(await t.exec(userFactsScript(me.username, { home: root })), me.username);
    expect(facts.passwd).toMatchObject({ name: me.username, uid: me.uid, gid: me.gid });
    expect(facts.primary?.gid).toBe(me.gid);
    expect(facts.targetHomeExists).toBe(true);
    expect(facts.shadowReadable).toBe(me.uid === 0);
    if (me.uid === 0) expect(facts.password?.full).toMatch(/^[0-9a-f]{64}$/);
    const group = parseGroupFacts(
      await t.exec(groupFactsScript(facts.primary?.name ?? 'root')),
      facts.primary?.name ?? 'root',
    );
    expect(group.group?.gid).toBe(me.gid);
  });

  it('quotes names, groups and paths full of shell syntax', async () => {
    const nasty = `x'; touch ${canary}; echo '$(touch ${canary})\`touch ${canary}\``;
    const facts = parseUserFacts(
      await t.exec(userFactsScript(nasty, { groups: [nasty, '0'], home: `${root}/$(touch ${canary})` })),
      nasty,
    );
    expect(facts.passwd).toBeUndefined();
    expect(facts.groups.map((group) => group.gid)).toEqual([0]);
    expect(existsSync(canary)).toBe(false);
  });

  it('reads an authorized_keys file at a path full of shell syntax, with its folder', async () => {
    const dir = join(root, `keys "dir" it's $(touch pwned) \`touch pwned\` *`);
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    const path = join(dir, 'authorized keys');
    writeFileSync(path, 'ssh-ed25519 AAAA a\n\n# c\n', { mode: 0o640 });
    const facts = parseAuthorizedKeys(await t.exec(authorizedKeysScript(me.username, path)), me.username);
    expect(facts).toMatchObject({
      path,
      dir: { isDirectory: true, mode: 0o750, uid: me.uid },
      file: { isFile: true, mode: 0o640, uid: me.uid },
      content: 'ssh-ed25519 AAAA a\n\n# c\n',
    });
    expect(existsSync('pwned') || existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('resolves the default path and ~/ paths under the home in passwd', async () => {
    const facts = parseAuthorizedKeys(
      await t.exec(authorizedKeysScript(me.username, undefined)),
      me.username,
    );
    expect(facts.path).toBe(join(facts.passwd?.home ?? '?', '.ssh/authorized_keys'));
    const custom = parseAuthorizedKeys(
      await t.exec(authorizedKeysScript(me.username, "~/it's there/keys")),
      me.username,
    );
    expect(custom.path).toBe(join(facts.passwd?.home ?? '?', "it's there/keys"));
    expect(custom.file).toBeUndefined();
  });

  it('says nothing for a user that does not exist, unless the path is absolute', async () => {
    const name = `no-such-user-${randomBytes(3).toString('hex')}`;
    expect(parseAuthorizedKeys(await t.exec(authorizedKeysScript(name, undefined)), name)).toEqual({});
    expect(parseAuthorizedKeys(await t.exec(authorizedKeysScript(name, join(root, 'k'))), name)).toEqual({
      path: join(root, 'k'),
      dir: expect.objectContaining({ isDirectory: true }),
    });
  });
});

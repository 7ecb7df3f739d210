import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/model/playbook.js';
import type { TaskModel } from '../../../src/model/playbook-types.js';

const SITE = 'test/fixtures/playbooks/site.yml';

describe('loadPlaybook', () => {
  it('loads plays with their settings', async () => {
    const playbook = await loadPlaybook(SITE);
    expect(playbook.file).toBe(SITE);
    expect(playbook.dir).toBe(resolve('test/fixtures/playbooks'));
    expect(playbook.plays).toHaveLength(2);
    const [base, second] = playbook.plays;
    expect(base).toMatchObject({
      name: 'base',
      hosts: 'web,db',
      become: true,
      serial: [1, '30%'],
      maxFailPercentage: 25,
      anyErrorsFatal: false,
      tags: ['base'],
      vars: { greeting_target: 'world' },
      varsFiles: [resolve('test/fixtures/playbooks/vars/common.yml'), 'vars/{{ env }}.yml'],
      at: { file: SITE, line: 2, column: 3 },
    });
    expect(second).toMatchObject({ name: 'all', hosts: 'all', gatherFacts: false, tags: [] });
    expect(second!.become).toBeUndefined();
    expect(second!.serial).toBeUndefined();
  });

  it('gives tasks ids, default names, args and keywords', async () => {
    const [play] = (await loadPlaybook(SITE)).plays;
    const [uptime] = play!.preTasks;
    expect(uptime).toMatchObject({
      id: `${SITE}:22`,
      name: 'command uptime',
      module: 'command',
      args: { cmd: 'uptime' },
      loopVar: 'item',
      notify: [],
      tags: ['base'],
      ignoreErrors: false,
      runOnce: false,
      noLog: false,
      path: [0, 'pre_tasks', 0],
    });
    expect(uptime!.role).toBeUndefined();
    const [mkdir, loop, shell, meta] = play!.tasks as [TaskModel, TaskModel, TaskModel, TaskModel];
    expect(mkdir).toMatchObject({
      name: 'make the app folder',
      args: { argv: ['mkdir', '-p', '/srv/app'], creates: '/srv/app' },
      register: 'made',
      notify: ['app changed'],
    });
    expect(loop).toMatchObject({ loop: ['a', 'b'], loopVar: 'letter', when: 'made.changed' });
    expect(shell).toMatchObject({
      name: 'shell',
      module: 'shell',
      args: { cmd: 'echo hi > /tmp/x', chdir: '/tmp' },
      becomeUser: 'postgres',
      retries: 3,
      delay: 2,
      until: 'eq result.rc 0',
      delegateTo: 'localhost',
      runOnce: true,
      noLog: true,
      ignoreErrors: true,
      environment: { LANG: 'C' },
    });
    expect(meta).toMatchObject({ module: 'meta', args: { free_form: 'flush_handlers' } });
    expect(play!.postTasks[0]).toMatchObject({ module: 'set_fact', args: { done: true } });
  });

  it('keeps the source so later errors can point into the task', async () => {
    const [play] = (await loadPlaybook(SITE)).plays;
    const shell = play!.tasks[2]!;
    expect(shell.source.positionOf([...shell.path, 'args', 'chdir'])).toEqual({
      file: SITE,
      line: 38,
      column: 16,
    });
  });

  it('attaches roles with their references, tags inherited by their tasks', async () => {
    const [play] = (await loadPlaybook(SITE)).plays;
    const [motd, greeting] = play!.roles;
    expect(motd!.ref).toMatchObject({ name: 'motd', params: {}, tags: [], at: { file: SITE, line: 14 } });
    expect(motd!.role.kind).toBe('yaml');
    expect(motd!.role.tasks.map((t) => t.tags)).toEqual([['base', 'motd'], ['base']]);
    expect(greeting!.ref).toMatchObject({
      name: 'greeting',
      params: { who: '{{ greeting_target }}', times: 2 },
      tags: ['greet'],
      when: 'greet_enabled',
    });
    expect(greeting!.role.kind).toBe('typescript');
    expect(greeting!.role.tasks.map((t) => t.tags)).toEqual([
      ['base', 'greet'],
      ['base', 'greet', 'say'],
    ]);
    expect(greeting!.role.tasks.every((t) => t.role === 'greeting')).toBe(true);
  });

  it('lists every handler of the play, roles first, in definition order', async () => {
    const [play] = (await loadPlaybook(SITE)).plays;
    expect(play!.handlers.map((h) => [h.name, h.role])).toEqual([
      ['motd changed', 'motd'],
      ['greeting changed', 'greeting'],
      ['app changed', undefined],
    ]);
  });

  it('loads a role once for several references, each with its own params and tags', async () => {
    const [play] = (await loadPlaybook('test/fixtures/playbooks/twice.yml')).plays;
    const [alice, bob, js] = play!.roles;
    expect(alice!.ref.params).toEqual({ who: 'alice' });
    expect(bob!.ref.params).toEqual({ who: 'bob', times: '{{ count }}' });
    expect(alice!.role.tasks[0]!.tags).toEqual([]);
    expect(bob!.role.tasks[0]!.tags).toEqual(['bob']);
    expect(alice!.role.dir).toBe(bob!.role.dir);
    expect(play!.handlers.map((h) => h.name)).toEqual(['greeting changed']);
    expect(js!.role).toMatchObject({ kind: 'typescript', defaults: { who: 'js' } });
    expect(js!.role.tasks[0]).toMatchObject({ name: 'say hi', module: 'debug' });
  });

  it('accepts templated module arguments, checked once rendered', async () => {
    const [play] = (await loadPlaybook('test/fixtures/playbooks/templated.yml')).plays;
    expect(play!.tasks.map((t) => t.args)).toEqual([
      { content: '{{ body }}', dest: '{{ path }}', mode: '{{ file_mode }}', backup: '{{ keep_backup }}' },
      { path: '/srv/app', state: '{{ wanted }}', owner: '{{ owner }}' },
      { cmd: '{{ cmd }}', chdir: '{{ dir }}' },
    ]);
  });

  it('resolves paths from cwd and shows them as given', async () => {
    const playbook = await loadPlaybook('playbooks/site.yml', { cwd: resolve('test/fixtures') });
    expect(playbook.file).toBe('playbooks/site.yml');
    expect(playbook.plays[0]!.roles[0]!.role.tasks[0]!.id).toBe('roles/motd/tasks/main.yml:1');
  });

  it('says a missing playbook is missing', async () => {
    await expect(loadPlaybook('test/fixtures/playbooks/nope.yml')).rejects.toThrow(
      'test/fixtures/playbooks/nope.yml: cannot read: no such file',
    );
  });
});

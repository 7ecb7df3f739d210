import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { loadTask, loadTasks } from '../../../src/model/task-loader.js';
import { type ModuleCatalog, registryCatalog } from '../../../src/model/task-modules.js';
import { parseYaml } from '../../../src/model/yaml-source.js';

function tasks(text: string, catalog: ModuleCatalog = registryCatalog) {
  const source = parseYaml(text, 'tasks.yml');
  return loadTasks(source.data, [], { source, catalog });
}

function failure(text: string, catalog?: ModuleCatalog): string {
  try {
    tasks(text, catalog);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the tasks were accepted');
}

describe('loadTasks', () => {
  it('takes no tasks from an empty list or nothing', () => {
    expect(tasks('[]')).toEqual([]);
    expect(tasks('')).toEqual([]);
  });

  it('names unnamed tasks after the module and short args', () => {
    const [command, copy, debug, long] = tasks(`
- command: uptime
- copy: { content: hi, dest: /tmp/x, mode: "0644", backup: true }
- debug:
- shell: ${'x'.repeat(80)}
`);
    expect(command!.name).toBe('command uptime');
    expect(copy!.name).toBe('copy content=hi dest=/tmp/x mode=0644 backup=true');
    expect(debug).toMatchObject({ name: 'debug', args: {} });
    expect(long!.name).toBe(`shell ${'x'.repeat(59)}…`);
  });

  it('hides args from the default name of a no_log task', () => {
    const [task] = tasks('- command: echo s3cret\n  no_log: true\n');
    expect(task!.name).toBe('command');
  });

  it('resolves qualified module names', () => {
    const [task] = tasks('- ansible.builtin.copy: { content: hi, dest: /tmp/x }\n');
    expect(task!.module).toBe('copy');
  });

  it('ids a task by file and line', () => {
    const loaded = tasks('- command: a\n\n- name: b\n  command: b\n');
    expect(loaded.map((t) => t.id)).toEqual(['tasks.yml:1', 'tasks.yml:3']);
    expect(loaded[1]!.at).toEqual({ file: 'tasks.yml', line: 3, column: 3 });
  });

  it('normalises notify and tags to lists', () => {
    const [task] = tasks('- command: a\n  notify: restart\n  tags: web\n');
    expect(task).toMatchObject({ notify: ['restart'], tags: ['web'] });
  });

  it('merges args given under "args:" with a free-form string', () => {
    const [task] = tasks('- command: ls\n  args: { chdir: /srv, creates: /srv/x }\n');
    expect(task!.args).toEqual({ cmd: 'ls', chdir: '/srv', creates: '/srv/x' });
  });

  it('still checks the rest of the args when some are templated', () => {
    expect(failure('- copy: { content: "{{ x }}", dest: "{{ d }}", mode: "{{ m }}", dst: /x }\n')).toBe(
      'tasks.yml:1:65: [0].copy.dst: unknown argument "dst" of module "copy"; did you mean "dest"?',
    );
    expect(failure('- file: { path: "{{ p }}", state: "{{ s }}", recurse: sometimes }\n')).toBe(
      'tasks.yml:1:55: [0].file.recurse: must be true or false, got a string',
    );
  });

  it('leaves cross-argument rules on templated values to run time', () => {
    expect(tasks('- file: { path: /x, mode: "{{ m }}" }\n')[0]!.args.mode).toBe('{{ m }}');
    expect(failure('- file: { path: /x, mode: "rwx" }\n')).toMatch(/^tasks\.yml:1:27: \[0\]\.file\.mode: /);
  });

  it('points at an argument given under "args:"', () => {
    expect(failure('- command: ls\n  args: { chdir: 42 }\n')).toBe(
      'tasks.yml:2:18: [0].args.chdir: must be a string, got an integer',
    );
  });

  it('requires a name on handlers only', () => {
    const source = parseYaml('- command: a\n', 'handlers.yml');
    expect(() => loadTasks(source.data, [], { source, catalog: registryCatalog, handler: true })).toThrow(
      'handlers.yml:1:3: [0]: handler has no name: handlers are notified by their name',
    );
  });

  it('names the role of role tasks and uses a given id', () => {
    const source = parseYaml('command: a\n', 'main.yml');
    const task = loadTask(source.data, [], {
      source,
      catalog: registryCatalog,
      role: 'web',
      idOf: () => 'custom-id',
    });
    expect(task).toMatchObject({ role: 'web', id: 'custom-id', path: [] });
  });

  it('checks against the modules of the catalog given', () => {
    const catalog: ModuleCatalog = {
      get: (name) =>
        name === 'ping'
          ? {
              name: 'ping',
              schema: Type.Object({ data: Type.Optional(Type.String()) }, { additionalProperties: false }),
            }
          : undefined,
      names: () => ['ping'],
    };
    expect(tasks('- ping: { data: pong }\n', catalog)[0]!.module).toBe('ping');
    expect(failure('- pong: {}\n', catalog)).toBe(
      'tasks.yml:1:3: [0].pong: unknown module "pong"; did you mean "ping"?',
    );
    expect(failure('- ping: { data: 1 }\n', catalog)).toBe(
      'tasks.yml:1:17: [0].ping.data: must be a string, got an integer',
    );
  });

  it('says when a task key belongs to a module that was misspelt or does not exist', () => {
    expect(failure('- name: x\n  debgu: { msg: hi }\n')).toBe(
      'tasks.yml:2:3: [0].debgu: unknown module "debgu"; did you mean "debug"?',
    );
    expect(failure('- name: x\n  debug: { msg: hi }\n  wen: true\n')).toBe(
      'tasks.yml:3:3: [0].wen: unknown task key "wen"; did you mean "when"?',
    );
  });

  it('refuses a free-form string for a module without one', () => {
    expect(failure('- copy: hello\n')).toBe(
      'tasks.yml:1:9: [0].copy: the arguments of module "copy" must be a mapping, got a string',
    );
  });
});

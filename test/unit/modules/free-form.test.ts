import { describe, expect, it } from 'vitest';
import { freeFormArgs } from '../../../src/modules/free-form.js';
import { getModule } from '../../../src/modules/registry.js';

function args(module: string, text: string) {
  return freeFormArgs(getModule(module)!, text);
}

describe('freeFormArgs', () => {
  it('gives the whole string to modules with a free-form argument', () => {
    expect(args('command', 'ls -l creates=/x')).toEqual({ args: { cmd: 'ls -l creates=/x' } });
    expect(args('shell', 'a | b')).toEqual({ args: { cmd: 'a | b' } });
    expect(args('meta', 'flush_handlers')).toEqual({ args: { free_form: 'flush_handlers' } });
  });

  it('reads key=value words for the others, typed by the schema', () => {
    expect(args('file', 'path="/srv/my app" state=directory mode=0755 recurse=yes')).toEqual({
      args: { path: '/srv/my app', state: 'directory', mode: '0755', recurse: true },
    });
    expect(args('copy', "dest=/etc/motd content='hi there' backup=no force=False")).toEqual({
      args: { dest: '/etc/motd', content: 'hi there', backup: false, force: false },
    });
  });

  it('keeps templates whole and untyped', () => {
    expect(args('debug', 'msg={{ greeting | default("hi") }} var=x')).toEqual({
      args: { msg: '{{ greeting | default("hi") }}', var: 'x' },
    });
    expect(args('debug', 'msg="Hello {{ name }}"')).toEqual({ args: { msg: 'Hello {{ name }}' } });
    expect(args('copy', 'dest=/x backup={{ keep }} content=a')).toEqual({
      args: { dest: '/x', backup: '{{ keep }}', content: 'a' },
    });
    expect(args('fail', 'msg="unsupported: {{ os }}"')).toEqual({ args: { msg: 'unsupported: {{ os }}' } });
    expect(args('debug', 'msg="a {{ x | default("y z") }} b" var=v')).toEqual({
      args: { msg: 'a {{ x | default("y z") }} b', var: 'v' },
    });
    expect(args('copy', "dest=/x\\ y content=it\\'s")).toEqual({ args: { dest: '/x y', content: "it's" } });
  });

  it('refuses words that are not key=value, and bad quoting', () => {
    expect(args('fail', 'something broke')).toEqual({
      error:
        '"something" is not key=value: fail takes key=value words (path=/srv state=directory) or a mapping',
    });
    expect(args('file', "path='/x")).toEqual({ error: "unterminated ' quote: '/x" });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { parseYaml } from '../../../src/model/yaml-source.js';
import { quote } from '../../../src/transport/quote.js';
import {
  explainVars,
  mappingLayer,
  type RenderLocation,
  renderTemplateFile,
  renderText,
  renderValue,
  resolveVariable,
  templateBlockHelpers,
  templateHelpers,
  VarScope,
} from '../../../src/vars/index.js';

const HERE: RenderLocation = { label: 'here' };

const scope = VarScope.from([
  {
    layer: 'play vars',
    source: 'site.yml',
    values: {
      app: 'shop',
      port: 8080,
      ratio: 0.5,
      enabled: true,
      dry: false,
      nothing: null,
      empty: '',
      zero: 0,
      env: 'STG',
      users: [
        { name: 'alice', uid: 1001 },
        { name: 'bob', uid: 1002, shell: '/bin/zsh' },
      ],
      names: ['alice', 'bob'],
      cfg: { listen: { port: 80 }, tags: ['a', 'b'] },
      words: 'it is "quoted" $HOME',
      domain: 'example.com',
      url: 'https://{{ domain }}/{{ app }}',
      url_parts: ['{{ domain }}', '{{ port }}'],
      typed_copy: '{{ users }}',
      count_text: '5',
      yes_text: 'yes',
    },
  },
]);

function render(value: unknown, s: VarScope = scope, where: RenderLocation = HERE): unknown {
  return renderValue(value, s, where);
}

function failure(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    if (!isBosunError(error, 'BOSUN_INPUT')) throw error;
    return error.message;
  }
  throw new Error('expected an error');
}

describe('type preservation', () => {
  it.each([
    [
      '{{ users }}',
      [
        { name: 'alice', uid: 1001 },
        { name: 'bob', uid: 1002, shell: '/bin/zsh' },
      ],
    ],
    ['{{ port }}', 8080],
    ['{{port}}', 8080],
    ['{{   port   }}', 8080],
    ['{{ ratio }}', 0.5],
    ['{{ enabled }}', true],
    ['{{ dry }}', false],
    ['{{ nothing }}', null],
    ['{{ cfg }}', { listen: { port: 80 }, tags: ['a', 'b'] }],
    ['{{ cfg.listen }}', { port: 80 }],
    ['{{ cfg.listen.port }}', 80],
    ['{{ cfg.tags.[1] }}', 'b'],
    ['{{ lookup cfg.tags 0 }}', 'a'],
    ['{{ users.0.name }}', 'alice'],
    ['{{ users.[1].uid }}', 1002],
    [
      '{{ typed_copy }}',
      [
        { name: 'alice', uid: 1001 },
        { name: 'bob', uid: 1002, shell: '/bin/zsh' },
      ],
    ],
    ['{{ url_parts }}', ['example.com', 8080]],
    ['{{ eq port 8080 }}', true],
    ['{{ int count_text }}', 5],
    ['{{ 42 }}', 42],
    ['{{ true }}', true],
    ['{{ null }}', null],
    ['{{ "text" }}', 'text'],
    ['{{~ port ~}}', 8080],
    ['{{{ port }}}', 8080],
    ['{{ this.port }}', 8080],
  ])('%s', (text, expected) => {
    expect(render(text)).toEqual(expected);
  });

  it('keeps text when the expression has anything around it', () => {
    expect(render(' {{ port }}')).toBe(' 8080');
    expect(render('{{ port }}\n')).toBe('8080\n');
    expect(render('{{ port }}{{ port }}')).toBe('80808080');
  });

  it('renders values deeply, keeping types and leaving non-strings alone', () => {
    const value = {
      loop: '{{ names }}',
      n: '{{ port }}',
      list: ['{{ app }}', 3, true, null],
      plain: 'x',
      m: { k: '{{ cfg.listen }}' },
    };
    expect(render(value)).toEqual({
      loop: ['alice', 'bob'],
      n: 8080,
      list: ['shop', 3, true, null],
      plain: 'x',
      m: { k: { port: 80 } },
    });
  });

  it('does not touch the input', () => {
    const value = { a: ['{{ app }}'] };
    render(value);
    expect(value).toEqual({ a: ['{{ app }}'] });
  });
});

describe('text', () => {
  it.each([
    ['port {{ port }}', 'port 8080'],
    ['{{ app }}-{{ env }}', 'shop-STG'],
    ['flag={{ enabled }}/{{ dry }}', 'flag=true/false'],
    ['[{{ nothing }}]', '[]'],
    ['[{{ empty }}]', '[]'],
    ['zero={{ zero }}', 'zero=0'],
    ['list={{ names }}', 'list=["alice","bob"]'],
    ['map={{ cfg.listen }}', 'map={"port":80}'],
    ['{{ words }}!', 'it is "quoted" $HOME!'],
    ['<&>{{ "<&>" }}', '<&><&>'],
    ['url: {{ url }}', 'url: https://example.com/shop'],
    ['literal \\{{ port }} and {{ port }}', 'literal {{ port }} and 8080'],
    ['{{{{raw}}}}{{ port }}{{{{/raw}}}}', '{{ port }}'],
    ['no braces { here }', 'no braces { here }'],
    ['{{! a comment }}x', 'x'],
  ])('%s', (text, expected) => {
    expect(render(text)).toBe(expected);
  });

  it('renderText always gives a string', () => {
    expect(renderText('{{ port }}', scope, HERE)).toBe('8080');
    expect(renderText('{{ names }}', scope, HERE)).toBe('["alice","bob"]');
    expect(renderText('Install {{ app }}', scope, HERE)).toBe('Install shop');
    expect(renderText('plain', scope, HERE)).toBe('plain');
  });
});

describe('helpers', () => {
  it('are the documented list', () => {
    expect([...templateHelpers].sort()).toEqual(
      [
        'and',
        'aws_secret',
        'bool',
        'default',
        'defined',
        'eq',
        'ge',
        'gt',
        'int',
        'join',
        'le',
        'length',
        'lookup',
        'dict2items',
        'subelements',
        'lt',
        'ne',
        'not',
        'or',
        'quote',
        'ssm',
        'to_json',
        'to_nice_json',
        'to_yaml',
      ].sort(),
    );
    expect(templateBlockHelpers).toEqual(['if', 'unless', 'each', 'with', 'raw']);
  });

  it.each([
    // default: undefined only, unless the third argument asks for falsy too
    ['{{ default missing "fb" }}', 'fb'],
    ['{{ default missing.deep.path "fb" }}', 'fb'],
    ['{{ default users.9.name "fb" }}', 'fb'],
    ['{{ default port "fb" }}', 8080],
    ['{{ default nothing "fb" }}', null],
    ['{{ default empty "fb" }}', ''],
    ['{{ default empty "fb" true }}', 'fb'],
    ['{{ default zero 7 true }}', 7],
    ['{{ default missing names }}', ['alice', 'bob']],
    ['{{ default missing (default also_missing 3) }}', 3],
    // defined
    ['{{ defined port }}', true],
    ['{{ defined nothing }}', true],
    ['{{ defined missing }}', false],
    ['{{ defined cfg.listen.port }}', true],
    ['{{ defined cfg.listen.nope }}', false],
    ['{{ defined port app }}', true],
    ['{{ defined port missing }}', false],
    // join
    ['{{ join names "," }}', 'alice,bob'],
    ['{{ join names ", " }}', 'alice, bob'],
    ['{{ join names }}', 'alicebob'],
    ['{{ join cfg.tags "-" }}', 'a-b'],
    ['{{ join url_parts ":" }}', 'example.com:8080'],
    // to_json / to_nice_json / to_yaml
    ['{{ to_json cfg }}', '{"listen":{"port":80},"tags":["a","b"]}'],
    ['{{ to_json app }}', '"shop"'],
    ['{{ to_json nothing }}', 'null'],
    ['{{ to_nice_json cfg.listen }}', '{\n    "port": 80\n}'],
    ['{{ to_nice_json cfg.listen indent=2 }}', '{\n  "port": 80\n}'],
    ['{{ to_yaml cfg }}', 'listen:\n  port: 80\ntags:\n  - a\n  - b'],
    ['{{ to_yaml app }}', 'shop'],
    // quote (shell words)
    ['{{ quote words }}', quote('it is "quoted" $HOME')],
    ['{{ quote app }}', 'shop'],
    ['{{ quote port }}', '8080'],
    ['{{ quote empty }}', "''"],
    ['{{ quote nothing }}', "''"],
    ['{{ quote "it\'s" }}', `'it'\\''s'`],
    ['{{ quote names }}', 'alice bob'],
    ['rm -rf {{ quote words }}', `rm -rf ${quote('it is "quoted" $HOME')}`],
    // comparisons
    ['{{ eq env "STG" }}', true],
    ['{{ eq env "PRD" }}', false],
    ['{{ eq port 8080 }}', true],
    ['{{ eq port "8080" }}', false],
    ['{{ eq cfg.tags (lookup cfg "tags") }}', true],
    ['{{ eq nothing null }}', true],
    ['{{ ne env "PRD" }}', true],
    ['{{ ne port 8080 }}', false],
    ['{{ lt port 9000 }}', true],
    ['{{ lt port 8080 }}', false],
    ['{{ le port 8080 }}', true],
    ['{{ gt port 80 }}', true],
    ['{{ gt port 8080 }}', false],
    ['{{ ge port 8080 }}', true],
    ['{{ lt "a" "b" }}', true],
    ['{{ gt (int count_text) 4 }}', true],
    // boolean logic
    ['{{ and enabled (eq env "STG") }}', true],
    ['{{ and enabled dry }}', false],
    ['{{ and dry missing }}', false],
    ['{{ and (defined missing) (eq missing 1) }}', false],
    ['{{ or dry enabled }}', true],
    ['{{ or dry zero }}', false],
    ['{{ or enabled missing }}', true],
    ['{{ or (not (defined missing)) (eq missing 1) }}', true],
    ['{{ not dry }}', true],
    ['{{ not enabled }}', false],
    ['{{ not names }}', false],
    ['{{ not empty }}', true],
    ['{{ not "false" }}', true],
    // bool (Ansible's filter)
    ['{{ bool yes_text }}', true],
    ['{{ bool "On" }}', true],
    ['{{ bool "1" }}', true],
    ['{{ bool 1 }}', true],
    ['{{ bool 2 }}', false],
    ['{{ bool "no" }}', false],
    ['{{ bool "maybe" }}', false],
    ['{{ bool nothing }}', false],
    ['{{ bool enabled }}', true],
    // int, length
    ['{{ int " 42 " }}', 42],
    ['{{ int -3 }}', -3],
    ['{{ int ratio }}', 0],
    ['{{ int true }}', 1],
    ['{{ length names }}', 2],
    ['{{ length app }}', 4],
    ['{{ length cfg }}', 2],
    // lookup
    ['{{ lookup cfg "tags" }}', ['a', 'b']],
    ['{{ lookup names 1 }}', 'bob'],
    ['{{ lookup cfg.listen "port" }}', 80],
    // dict2items, subelements (Ansible's filters)
    [
      '{{ dict2items cfg }}',
      [
        { key: 'listen', value: { port: 80 } },
        { key: 'tags', value: ['a', 'b'] },
      ],
    ],
  ])('%s', (text, expected) => {
    expect(render(text)).toEqual(expected);
  });

  it.each([
    ['{{ join app "," }}', 'here: join: expected a list, got a string'],
    ['{{ join names sep="," }}', 'here: join: unknown option "sep" (it takes no options)'],
    ['{{ to_nice_json cfg indent=99 }}', 'here: to_nice_json: indent must be an integer from 0 to 10'],
    ['{{ quote cfg }}', 'here: quote: cannot quote a mapping as a shell word'],
    ['{{ lt port "9000" }}', 'here: lt: cannot compare an integer with a string (convert with int first)'],
    ['{{ ge names 1 }}', 'here: ge: cannot compare a list with an integer (convert with int first)'],
    ['{{ int app }}', 'here: int: a string is not an integer'],
    ['{{ int "1.5" }}', 'here: int: a string is not an integer'],
    ['{{ length port }}', 'here: length: an integer has no length'],
    ['{{ eq port }}', 'here: eq: expects 2 arguments, got 1'],
    ['{{ not a b }}', 'here: not: expects 1 argument, got 2'],
    ['{{ default port }}', 'here: default: expects 2 or 3 arguments, got 1'],
    ['{{ and }}', 'here: undefined variable "and" ("and" is a helper: give it arguments)'],
    ['{{ lookup cfg "nope" }}', 'here: undefined variable "cfg.nope"'],
    ['{{ lookup cfg "a b" }}', 'here: undefined variable "cfg["a b"]"'],
    ['{{ lookup names 5 }}', 'here: undefined variable "names.[5]"'],
    ['{{ dict2items names }}', 'here: dict2items: expected a mapping, got a list'],
    ['{{ subelements cfg "tags" }}', 'here: subelements: expected a list, got a mapping'],
    [
      '{{ subelements users "shell" }}',
      'here: subelements: item 0 has no "shell" (pass skip_missing=true to skip such items)',
    ],
    ['{{ subelements users "name" }}', 'here: subelements: "name" of item 0 must be a list, got a string'],
    [
      '{{ subelements users "" }}',
      'here: subelements: the second argument is a key path such as "groups" or "value.groups"',
    ],
  ])('%s fails: %s', (text, message) => {
    expect(failure(() => render(text))).toBe(message);
  });
});

describe('dict2items and subelements', () => {
  const teams = VarScope.from([
    {
      layer: 'play vars',
      source: 'site.yml',
      values: {
        users: { ann: { groups: ['ops', 'dev'] }, bob: { groups: [] }, cid: { shell: '/bin/sh' } },
      },
    },
  ]);

  it('turn a mapping into items and pair each item with its sub-list elements', () => {
    expect(render('{{ dict2items users }}', teams)).toEqual([
      { key: 'ann', value: { groups: ['ops', 'dev'] } },
      { key: 'bob', value: { groups: [] } },
      { key: 'cid', value: { shell: '/bin/sh' } },
    ]);
    expect(render('{{ subelements (dict2items users) "value.groups" skip_missing=true }}', teams)).toEqual([
      [{ key: 'ann', value: { groups: ['ops', 'dev'] } }, 'ops'],
      [{ key: 'ann', value: { groups: ['ops', 'dev'] } }, 'dev'],
    ]);
    expect(
      render(
        '{{#each (subelements (dict2items users) "value.groups" skip_missing=true)}}{{this.[0].key}}:{{this.[1]}} {{/each}}',
        teams,
      ),
    ).toBe('ann:ops ann:dev ');
  });

  it('fail on a missing sub-list unless told to skip', () => {
    expect(failure(() => render('{{ subelements (dict2items users) "value.groups" }}', teams))).toBe(
      'here: subelements: item 2 has no "value.groups" (pass skip_missing=true to skip such items)',
    );
  });
});

describe('undefined variables', () => {
  it.each([
    ['{{ missing }}', 'missing'],
    ['x {{ missing }} y', 'missing'],
    ['{{ missing.deep }}', 'missing.deep'],
    ['{{ cfg.nope }}', 'cfg.nope'],
    ['{{ cfg.listen.port.x }}', 'cfg.listen.port.x'],
    ['{{ users.2.name }}', 'users.2.name'],
    ['{{ nothing.x }}', 'nothing.x'],
    ['{{ join missing "," }}', 'missing'],
    ['{{ eq missing 1 }}', 'missing'],
    ['{{ not missing }}', 'missing'],
    ['{{ and missing enabled }}', 'missing'],
    ['{{ and enabled missing }}', 'missing'],
    ['{{ or dry missing }}', 'missing'],
    ['{{ default missing other_missing }}', 'other_missing'],
    ['{{ to_json (lookup cfg missing) }}', 'missing'],
    ['{{ eq (lookup cfg "x") 1 }}', 'cfg.x'],
    ['{{ to_nice_json cfg indent=missing }}', 'missing'],
    ['{{#if missing}}a{{/if}}', 'missing'],
    ['{{#unless missing}}a{{/unless}}', 'missing'],
    ['{{#each missing}}a{{/each}}', 'missing'],
    ['{{#with missing}}a{{/with}}', 'missing'],
    ['{{#each names}}{{ nope }}{{/each}}', 'nope'],
    ['{{#each users}}{{ shell }}{{/each}}', 'shell'],
    ['{{#each users as |u|}}{{ u.shell }}{{/each}}', 'u.shell'],
    ['{{#with cfg}}{{ this.app }}{{/with}}', 'this.app'],
    ['{{#with cfg}}{{ ../nope }}{{/with}}', '../nope'],
    ['{{ @root.nope }}', '@root.nope'],
    ['{{ constructor }}', 'constructor'],
    ['{{ names.__proto__ }}', 'names.__proto__'],
    ['{{ app.length }}', 'app.length'],
  ])('%s names %s and never renders ""', (text, variable) => {
    expect(failure(() => render(text))).toBe(`here: undefined variable "${variable}"`);
  });

  it('points at file:line:col and the key path of the value in YAML', () => {
    const source = parseYaml(readFileSync('test/fixtures/vars/site.yml', 'utf8'), 'site.yml');
    const tasks = (source.data as { tasks: Record<string, Record<string, unknown>>[] }[])[0]!.tasks;
    const s = VarScope.from([
      { layer: 'extra vars', source: '-e #1', values: { app: 'shop', app_dir: '/opt/shop', config: 'x' } },
    ]);
    const copy = tasks[0]!.copy!;
    expect(failure(() => renderValue(copy, s, { source, path: [0, 'tasks', 0, 'copy'] }))).toBe(
      'site.yml:10:15: [0].tasks[0].copy.mode: undefined variable "mode"',
    );
    expect(failure(() => renderValue(tasks[1]!.shell, s, { source, path: [0, 'tasks', 1, 'shell'] }))).toBe(
      'site.yml:11:14: [0].tasks[1].shell: undefined variable "port" (line 2 of the value)',
    );
  });

  it('says which line of a multi-line value', () => {
    const s = scope.with('extra vars', '-e', { app_dir: '/opt' });
    expect(failure(() => render('cd {{ app_dir }}\n./run --port {{ nope }}\n', s))).toBe(
      'here: undefined variable "nope" (line 2 of the value)',
    );
  });

  it('uses the position and key path of a file location', () => {
    expect(
      failure(() =>
        render({ a: [1, '{{ nope }}'] }, scope, { file: 'vars.yml', line: 3, column: 5, path: ['x'] }),
      ),
    ).toBe('vars.yml:3:5: x.a[1]: undefined variable "nope"');
  });

  it('puts the variable name in the error details', () => {
    try {
      render('{{ nope }}');
    } catch (error) {
      expect(isBosunError(error) && error.details).toMatchObject({ variable: 'nope', label: 'here' });
    }
  });
});

describe('lookups inside blocks', () => {
  it.each([
    ['{{#each names}}[{{ this }}]{{/each}}', '[alice][bob]'],
    ['{{#each names}}{{ @index }}={{ . }};{{/each}}', '0=alice;1=bob;'],
    ['{{#each users}}{{ name }}:{{ uid }} {{/each}}', 'alice:1001 bob:1002 '],
    ['{{#each users}}{{ name }}={{ default shell "/bin/sh" }} {{/each}}', 'alice=/bin/sh bob=/bin/zsh '],
    ['{{#each users as |u i|}}{{ i }}{{ u.name }}{{/each}}', '0alice1bob'],
    ['{{#each cfg.listen}}{{ @key }}={{ this }}{{/each}}', 'port=80'],
    ['{{#each names}}{{ @first }}{{ @last }},{{/each}}', 'truefalse,falsetrue,'],
    ['{{#each names}}{{ app }}{{/each}}', 'shopshop'],
    ['{{#each names}}{{ ../app }}{{/each}}', 'shopshop'],
    ['{{#each names}}{{ @root.url }}{{/each}}', 'https://example.com/shophttps://example.com/shop'],
    ['{{#each names}}{{ join ../names "+" }}{{/each}}', 'alice+bobalice+bob'],
    ['{{#each nothing}}x{{else}}none{{/each}}', 'none'],
    ['{{#with cfg.listen}}{{ port }}/{{ app }}{{/with}}', '80/shop'],
    ['{{#if enabled}}on{{else}}off{{/if}}', 'on'],
    ['{{#if dry}}on{{else if enabled}}elif{{else}}off{{/if}}', 'elif'],
    ['{{#if "no"}}on{{else}}off{{/if}}', 'off'],
    ['{{#if (eq env "STG")}}stg{{/if}}', 'stg'],
    ['{{#if (defined missing)}}x{{else}}no{{/if}}', 'no'],
    ['{{#unless dry}}wet{{/unless}}', 'wet'],
    ['{{#each url_parts}}{{ this }};{{/each}}', 'example.com;8080;'],
  ])('%s', (text, expected) => {
    expect(render(text)).toBe(expected);
  });

  it('refuses #each over a scalar', () => {
    expect(failure(() => render('{{#each app}}x{{/each}}'))).toBe(
      'here: #each: expected a list or a mapping, got a string',
    );
  });
});

describe('variables that are templates', () => {
  it('are rendered when used, in the host scope', () => {
    expect(render('{{ url }}')).toBe('https://example.com/shop');
    const stronger = scope.with('extra vars', '-e #1', { domain: 'prod.example.com' });
    expect(render('{{ url }}', stronger)).toBe('https://prod.example.com/shop');
    expect(render('{{ url }}')).toBe('https://example.com/shop');
  });

  it('chain through several variables', () => {
    const s = VarScope.from([
      {
        layer: 'play vars',
        source: 'p',
        values: { a: '{{ b }}/a', b: '{{ c }}/b', c: 'c', n: '{{ m }}', m: 7 },
      },
    ]);
    expect(render('{{ a }}', s)).toBe('c/b/a');
    expect(render('{{ n }}', s)).toBe(7);
    expect(resolveVariable(s, 'a')).toBe('c/b/a');
  });

  it('point an error at the variable definition and say which value needed it', () => {
    const source = parseYaml(readFileSync('test/fixtures/vars/site.yml', 'utf8'), 'site.yml');
    const play = (
      source.data as { vars: Record<string, unknown>; tasks: Record<string, Record<string, unknown>>[] }[]
    )[0]!;
    const s = VarScope.from([mappingLayer('play vars', source, [0, 'vars'], play.vars)]);
    expect(
      failure(() => renderValue(play.tasks[2]!.debug, s, { source, path: [0, 'tasks', 2, 'debug'] })),
    ).toBe(
      'site.yml:4:13: [0].vars.broken: undefined variable "missing_in_var" (needed by site.yml:18:14: [0].tasks[2].debug.msg)',
    );
  });

  it('name the outermost value that needed a broken variable, through a chain', () => {
    const s = VarScope.from([
      { layer: 'play vars', source: 'p.yml:1:1', values: { a: '{{ b }}', b: 'x {{ c }}' } },
      { layer: 'play vars', source: 'q.yml:7:3', values: { c: '{{ nope }}' } },
    ]);
    expect(
      failure(() => render({ k: ['{{ a }}'] }, s, { file: 'task.yml', line: 4, column: 9, path: ['args'] })),
    ).toBe('q.yml:7:3: c: undefined variable "nope" (needed by task.yml:4:9: args.k[0])');
  });

  it('render again in a different scope (nothing is cached across scopes)', () => {
    const a = VarScope.from([{ layer: 'play vars', source: 'p', values: { x: '{{ y }}', y: 1 } }]);
    const b = a.with('extra vars', '-e', { y: 2 });
    expect([render('{{ x }}', a), render('{{ x }}', b), render('{{ x }}', a)]).toEqual([1, 2, 1]);
  });

  it('refuse a definition in terms of itself', () => {
    const s = VarScope.from([
      {
        layer: 'play vars',
        source: 'p.yml:1:1',
        values: { a: 'x{{ b }}', b: '{{ a }}', self: '{{ self }}' },
      },
    ]);
    expect(failure(() => render('{{ a }}', s))).toBe(
      'p.yml:1:1: a: variable "a" is defined in terms of itself (a -> b -> a) (needed by here)',
    );
    expect(failure(() => render('{{ self }}', s))).toBe(
      'p.yml:1:1: self: variable "self" is defined in terms of itself (self -> self) (needed by here)',
    );
    expect(failure(() => render('{{ default self 1 }}', s))).toMatch(/defined in terms of itself/);
  });

  it('count as undefined for default and defined when they use an undefined variable', () => {
    const s = VarScope.from([{ layer: 'play vars', source: 'p', values: { broken: '{{ nope }}' } }]);
    expect(render('{{ default broken "fb" }}', s)).toBe('fb');
    expect(render('{{ defined broken }}', s)).toBe(false);
  });

  it('are not rendered when they are facts (command output is data)', () => {
    const s = scope.with('facts', 'register', { result: { stdout: 'use {{ braces }}' } });
    expect(render('{{ result.stdout }}', s)).toBe('use {{ braces }}');
    expect(render('out: {{ result.stdout }}', s)).toBe('out: use {{ braces }}');
  });

  it('are not rendered from the loop and magic layers, or when a layer says so', () => {
    const s = scope
      .with('loop', 'loop', { item: '{{ app }}' })
      .with('magic vars', 'bosun', { inventory_hostname: '{{ x }}' })
      .with('play vars', 'p', { raw_text: '{{ y }}' }, { templated: false });
    expect(render('{{ item }}|{{ inventory_hostname }}|{{ raw_text }}', s)).toBe('{{ app }}|{{ x }}|{{ y }}');
  });

  it('are explained with their rendered value for bosun vars', () => {
    const s = VarScope.from([
      {
        layer: 'play vars',
        source: 'p',
        values: { domain: 'example.com', url: 'https://{{ domain }}', bad: '{{ nope }}' },
      },
    ]);
    expect(explainVars(s)).toEqual([
      {
        name: 'bad',
        value: '{{ nope }}',
        layer: 'play vars',
        source: 'p',
        overridden: [],
        renderError: 'p: bad: undefined variable "nope"',
      },
      { name: 'domain', value: 'example.com', layer: 'play vars', source: 'p', overridden: [] },
      {
        name: 'url',
        value: 'https://{{ domain }}',
        layer: 'play vars',
        source: 'p',
        overridden: [],
        rendered: 'https://example.com',
      },
    ]);
  });

  it('resolveVariable refuses an undefined name', () => {
    expect(failure(() => resolveVariable(scope, 'nope'))).toBe('undefined variable "nope"');
  });
});

describe('syntax errors', () => {
  it.each([
    [
      '{{ app | upper }}',
      'here: invalid template: unexpected "|"; Jinja filters ("x | f") are not supported: call the helper first, e.g. {{ default x "y" }}, {{ join list "," }}',
    ],
    [
      '{{ port == 80 }}',
      'here: invalid template: unexpected "=="; comparisons are helpers: eq a b, ne a b, lt, gt, le, ge',
    ],
    ['{{ !enabled }}', 'here: invalid template: unexpected "!"; negation is "not x"'],
    ['echo {{ port', 'here: invalid template: "{{" is not closed; a literal "{{" is written "\\{{"'],
    ['{{ port }', 'here: invalid template: "{{" is not closed; a literal "{{" is written "\\{{"'],
    [
      'docker ps --format {{.Names}}',
      'here: invalid template: unexpected ".Names"; a literal "{{" is written "\\{{"',
    ],
    ['{{#if enabled}}x', 'here: invalid template: "{{#if}}" is not closed (no "{{/if}}")'],
    ['{{#if enabled}}x{{/each}}', 'here: "{{/each}}" does not close "{{#if}}"'],
    [
      '{{ upper app }}',
      'here: unknown helper "upper" (helpers: and, aws_secret, bool, default, defined, dict2items, eq, ge, gt, int, join, le, length, lookup, lt, ne, not, or, quote, ssm, subelements, to_json, to_nice_json, to_yaml; a variable takes no arguments)',
    ],
    [
      '{{ jion names }}',
      'here: unknown helper "jion"; did you mean "join"? (helpers: and, aws_secret, bool, default, defined, dict2items, eq, ge, gt, int, join, le, length, lookup, lt, ne, not, or, quote, ssm, subelements, to_json, to_nice_json, to_yaml; a variable takes no arguments)',
    ],
    [
      '{{ enabled and dry }}',
      'here: "enabled and ..." is not supported: helpers come first, as in "and enabled ..." (e.g. "and a b", "not a")',
    ],
    [
      '{{ app is defined }}',
      'here: Jinja tests ("app is ...") are not supported: write "defined app" or "not (defined app)"',
    ],
    [
      '{{#users}}x{{/users}}',
      'here: "{{#users}}" is not a block helper: use #if, #unless, #each, #with, #raw',
    ],
    ['{{> partial }}', 'here: partials ({{> name}}) are not supported'],
    ['{{ "lit" 1 }}', 'here: a literal cannot be called like a helper'],
    ['{{#if}}x{{/if}}', 'here: #if takes exactly one argument, got 0'],
    [
      '{{ names.1 }}',
      'here: invalid template: unexpected "1"; a list index ending a path is written list.[1]',
    ],
  ])('%s', (text, message) => {
    expect(failure(() => render(text))).toBe(message);
  });
});

describe('template files', () => {
  const fileScope = VarScope.from([
    {
      layer: 'role defaults',
      source: 'defaults',
      values: { port: 80, tls: false, users: [{ name: 'alice' }, { name: 'bob', shell: '/bin/zsh' }] },
    },
  ]);

  it('render a whole file with blocks on their own lines', () => {
    const text = readFileSync('test/fixtures/vars/templates/app.conf.hbs', 'utf8');
    expect(renderTemplateFile(text, fileScope, 'templates/app.conf.hbs')).toBe(
      '# managed by bosun\nlisten 80\nuser alice /bin/sh\nuser bob /bin/zsh\nssl off\n',
    );
  });

  it('point an undefined variable at its line and column in the file', () => {
    const text = readFileSync('test/fixtures/vars/templates/broken.hbs', 'utf8');
    expect(failure(() => renderTemplateFile(text, fileScope, 'templates/broken.hbs'))).toBe(
      'templates/broken.hbs:4:20: undefined variable "home"',
    );
  });

  it.each([
    ['a\n{{#if port}}\nx\n{{/each}}\n', 'f.hbs:2:4: "{{/each}}" does not close "{{#if}}"'],
    [
      'a\nb {{ port | int }}\n',
      'f.hbs:2:11: invalid template: unexpected "|"; Jinja filters ("x | f") are not supported: write {{ int port }}',
    ],
    ['line\n  {{ port', 'f.hbs:2:6: invalid template: "{{" is not closed; a literal "{{" is written "\\{{"'],
    ['one\ntwo {{ join port "," }}\n', 'f.hbs:2:5: join: expected a list, got an integer'],
    [
      'x\n  {% if tls %}y{% endif %}',
      'f.hbs:2:3: Jinja statement "{% if %}" is not supported: use {{#if x}}...{{else}}...{{/if}} and {{#each list}}...{{/each}}; a literal "{%" is kept inside {{{{raw}}}}...{{{{/raw}}}}',
    ],
  ])('%j fails: %s', (text, message) => {
    expect(failure(() => renderTemplateFile(text, fileScope, 'f.hbs'))).toBe(message);
  });

  it('say which template line needed a broken variable', () => {
    const s = fileScope.with('play vars', 'vars.yml:2:3', { url: 'http://{{ host }}' });
    expect(failure(() => renderTemplateFile('a\nurl={{ url }}\n', s, 't.hbs'))).toBe(
      'vars.yml:2:3: url: undefined variable "host" (needed by t.hbs:2:8)',
    );
  });

  it('keep the text of a file without templates, and a {{{{raw}}}} block literal', () => {
    expect(renderTemplateFile('plain\n', fileScope, 'f')).toBe('plain\n');
    expect(renderTemplateFile('{{{{raw}}}}\n{{ go }} {% x %}\n{{{{/raw}}}}\n', fileScope, 'f')).toMatch(
      /\{\{ go \}\}/,
    );
  });

  it('render lists and mappings inside text as JSON', () => {
    expect(renderTemplateFile('users={{ users }}', fileScope, 'f')).toBe(
      'users=[{"name":"alice"},{"name":"bob","shell":"/bin/zsh"}]',
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { parseYaml } from '../../../src/model/yaml-source.js';
import { evaluateCondition, type RenderLocation, truthy, VarScope } from '../../../src/vars/index.js';

const WHEN: RenderLocation = { label: 'when' };

const scope = VarScope.from([
  {
    layer: 'play vars',
    source: 'site.yml',
    values: {
      env: 'STG',
      enabled: true,
      dry: false,
      count: 3,
      zero: 0,
      nothing: null,
      empty: '',
      text: 'hello',
      false_text: 'false',
      no_text: 'No',
      off_text: 'off',
      zero_text: '0',
      yes_text: 'yes',
      list: [1],
      empty_list: [],
      map: { a: 1 },
      empty_map: {},
      result: { rc: 0, stdout: 'ok\n', changed: true },
      flag_template: '{{ enabled }}',
    },
  },
]);

function when(expr: unknown, s: VarScope = scope): boolean {
  return evaluateCondition(expr, s, WHEN);
}

function failure(expr: unknown, where: RenderLocation = WHEN): string {
  try {
    evaluateCondition(expr, scope, where);
  } catch (error) {
    if (!isBosunError(error, 'BOSUN_INPUT')) throw error;
    return error.message;
  }
  throw new Error('expected an error');
}

describe('truth of a variable', () => {
  it.each([
    ['enabled', true],
    ['dry', false],
    ['count', true],
    ['zero', false],
    ['nothing', false],
    ['empty', false],
    ['text', true],
    ['false_text', false],
    ['no_text', false],
    ['off_text', false],
    ['zero_text', false],
    ['yes_text', true],
    ['list', true],
    ['empty_list', false],
    ['map', true],
    ['empty_map', false],
    ['result.changed', true],
    ['result.rc', false],
    ['result.stdout', true],
    ['flag_template', true],
  ])('%s is %s, and "not" inverts it', (name, expected) => {
    expect(when(name)).toBe(expected);
    expect(when(`not ${name}`)).toBe(!expected);
    expect(when(`{{ ${name} }}`)).toBe(expected);
  });
});

describe('forms', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['true', true],
    ['false', false],
    ['  enabled  ', true],
    ['{{ enabled }}', true],
    ['{{enabled}}', true],
    ['{{ not enabled }}', false],
    ['eq env "STG"', true],
    ["eq env 'STG'", true],
    ['eq env "PRD"', false],
    ['ne env "PRD"', true],
    ['eq result.rc 0', true],
    ['ne result.rc 0', false],
    ['gt count 2', true],
    ['le count 2', false],
    ['and (eq env "STG") (not dry)', true],
    ['and (eq env "STG") dry', false],
    ['or dry (eq env "STG")', true],
    ['or dry zero empty', false],
    ['not (or dry zero)', true],
    ['and enabled count text list map', true],
    ['defined env', true],
    ['defined foo', false],
    ['not (defined foo)', true],
    ['and (defined foo) (eq foo 1)', false],
    ['or (not (defined foo)) (eq foo 1)', true],
    ['and (defined result) (eq result.rc 0)', true],
    ['bool yes_text', true],
    ['bool text', false],
    ['default foo true', true],
    ['default foo false', false],
    ['eq (default foo "x") "x"', true],
    ['eq (length list) 1', true],
    ['"non-empty literal"', true],
    ['""', false],
    ['null', false],
  ])('%j is %s', (expr, expected) => {
    expect(when(expr)).toBe(expected);
  });

  it.each([
    [[], true],
    [['enabled'], true],
    [['enabled', 'eq env "STG"', true], true],
    [['enabled', 'dry'], false],
    [[true, false], false],
    [['dry', 'undefined_but_never_reached'], false],
  ])('list %j: every item must hold (%s)', (expr, expected) => {
    expect(when(expr)).toBe(expected);
  });
});

describe('undefined variables', () => {
  it.each([
    ['foo', 'when: undefined variable "foo"'],
    ['not foo', 'when: undefined variable "foo"'],
    ['{{ foo }}', 'when: undefined variable "foo"'],
    ['eq foo 1', 'when: undefined variable "foo"'],
    ['eq result.nope 1', 'when: undefined variable "result.nope"'],
    ['and (eq foo 1) (defined foo)', 'when: undefined variable "foo"'],
    ['and enabled foo', 'when: undefined variable "foo"'],
    ['or dry foo', 'when: undefined variable "foo"'],
  ])('%s', (expr, message) => {
    expect(failure(expr)).toBe(message);
  });

  it('points at the condition in the YAML, with the list index', () => {
    const source = parseYaml(readFileSync('test/fixtures/vars/site.yml', 'utf8'), 'site.yml');
    const task = (source.data as { tasks: { when: string[] }[] }[])[0]!.tasks[1]!;
    const s = VarScope.from([{ layer: 'extra vars', source: '-e', values: { enabled: true } }]);
    let message = '';
    try {
      evaluateCondition(task.when, s, { source, path: [0, 'tasks', 1, 'when'] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('site.yml:16:11: [0].tasks[1].when[1]: undefined variable "env"');
  });
});

describe('bad conditions', () => {
  it.each([
    ['', 'when: empty condition'],
    ['  ', 'when: empty condition'],
    ['{{ }}', 'when: empty condition'],
    [
      '{{ enabled }} and {{ dry }}',
      'when: a condition is one expression, not a template: write it without "{{ }}", e.g. eq env "STG"',
    ],
    [
      'eq "{{ env }}" "STG"',
      'when: a condition is one expression, not a template: write it without "{{ }}", e.g. eq env "STG"',
    ],
    [
      'env == "STG"',
      'when: invalid template: unexpected "=="; comparisons are helpers: eq a b, ne a b, lt, gt, le, ge',
    ],
    [
      'result.rc != 0',
      'when: invalid template: unexpected "!="; comparisons are helpers: eq a b, ne a b, lt, gt, le, ge',
    ],
    ['!enabled', 'when: invalid template: unexpected "!"; negation is "not x"'],
    [
      'foo is defined',
      'when: Jinja tests ("foo is ...") are not supported: write "defined foo" or "not (defined foo)"',
    ],
    [
      'enabled and dry',
      'when: "enabled and ..." is not supported: helpers come first, as in "and enabled ..." (e.g. "and a b", "not a")',
    ],
    [
      'env in list',
      'when: "env in ..." is not supported: helpers come first, as in "in env ..." (e.g. "and a b", "not a")',
    ],
    [
      '{{#if enabled}}x{{/if}}',
      'when: a condition is one expression, not a template: write it without "{{ }}", e.g. eq env "STG"',
    ],
  ])('%j', (expr, message) => {
    expect(failure(expr)).toBe(message);
  });

  it.each([
    [{ a: 1 }, 'when: a condition must be an expression, true, false or a list of them, got a mapping'],
    [null, 'when: a condition must be an expression, true, false or a list of them, got empty'],
    [
      [true, { a: 1 }],
      'when: [1]: a condition must be an expression, true, false or a list of them, got a mapping',
    ],
  ])('%j', (expr, message) => {
    expect(failure(expr)).toBe(message);
  });
});

describe('truthy', () => {
  it.each([
    [undefined, false],
    [null, false],
    [true, true],
    [false, false],
    [1, true],
    [-1, true],
    [0, false],
    [Number.NaN, false],
    ['x', true],
    ['', false],
    [' ', false],
    ['FALSE', false],
    ['Off', false],
    ['no', false],
    ['0', false],
    ['00', true],
    ['true', true],
    [[], false],
    [[0], true],
    [{}, false],
    [{ a: 0 }, true],
  ])('%j -> %s', (value, expected) => {
    expect(truthy(value)).toBe(expected);
  });
});

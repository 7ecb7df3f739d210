import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { scalar } from '../../../src/vars/extra-vars.js';
import { extraVarsLayer, parseExtraVars, VarScope } from '../../../src/vars/index.js';

const CWD = 'test/fixtures/vars';

async function values(...args: string[]): Promise<Record<string, unknown>> {
  return (await parseExtraVars(args, CWD)).values;
}

async function failure(...args: string[]): Promise<string> {
  const error = await parseExtraVars(args, CWD).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBosunError(error, 'BOSUN_INPUT'))
    throw new Error(`expected a BOSUN_INPUT error, got ${String(error)}`);
  return error.message;
}

describe('-e key=value', () => {
  it.each([
    ['a=1', { a: 1 }],
    ['a=-3', { a: -3 }],
    ['a=2.5', { a: 2.5 }],
    ['a=true', { a: true }],
    ['a=False', { a: false }],
    ['a=yes', { a: true }],
    ['a=no', { a: false }],
    ['a=on', { a: true }],
    ['a=~', { a: null }],
    ['a=null', { a: null }],
    ['a=', { a: '' }],
    ['a=STG', { a: 'STG' }],
    ['a=y', { a: 'y' }],
    ['a=1.10', { a: '1.10' }],
    ['a=0755', { a: '0755' }],
    ['a=1e3', { a: '1e3' }],
    ['a=0x1F', { a: '0x1F' }],
    ['a=+5', { a: '+5' }],
    ['a=.inf', { a: '.inf' }],
    ['a=[1,2]', { a: '[1,2]' }],
    ['a={b:1}', { a: '{b:1}' }],
    ['a=x=y', { a: 'x=y' }],
    ['a=b:c', { a: 'b:c' }],
    ['a=#x', { a: '#x' }],
    ['a="8080"', { a: '8080' }],
    ["a='true'", { a: 'true' }],
    ['a="two words"', { a: 'two words' }],
    ["a='two words'", { a: 'two words' }],
    ['a=""', { a: '' }],
    ['a="say \\"hi\\""', { a: 'say "hi"' }],
    ["a='back\\slash'", { a: 'back\\slash' }],
    ['a=pre"quoted part"', { a: 'prequoted part' }],
    ['a=one\\ word', { a: 'one word' }],
    ['a=1 b=two c="3 4"', { a: 1, b: 'two', c: '3 4' }],
    ['  a=1\tb=2  ', { a: 1, b: 2 }],
    ['_x9=1', { _x9: 1 }],
  ])('%s', async (arg, expected) => {
    expect(await values(arg)).toEqual(expected);
  });

  it.each([
    ['', '-e #1: empty value: expected key=value, @file or a mapping'],
    ['   ', '-e #1: empty value: expected key=value, @file or a mapping'],
    [
      'a=1 b',
      '-e #1: word 2 is not key=value (several pairs are separated by spaces; quote values with spaces: key="a b")',
    ],
    [
      '"a"=1',
      '-e #1: word 1 is not key=value (several pairs are separated by spaces; quote values with spaces: key="a b")',
    ],
    ['=1', '-e #1: word 1 has no variable name before "="'],
    ['a="x y', '-e #1: unterminated " quote in word 1 (key "a")'],
    ["a=1 b='x", `-e #1: unterminated ' quote in word 2 (key "b")`],
    [
      'foo-bar=1',
      `-e #1: variable name "foo-bar" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
    [
      '1a=1',
      `-e #1: variable name "1a" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
  ])('refuses %j', async (arg, message) => {
    expect(await failure(arg)).toBe(message);
  });

  it('never echoes a value in an error', async () => {
    const message = await failure('password="s3cret-value');
    expect(message).not.toContain('s3cret');
    expect(await failure('a=1 s3cret-word')).not.toContain('s3cret');
  });

  it('numbers the argument at fault', async () => {
    expect(await failure('a=1', 'b=2', 'c')).toMatch(/^-e #3: word 1 is not key=value/);
  });
});

describe('scalar typing', () => {
  it.each([
    ['8080', 8080],
    ['0', 0],
    ['-1', -1],
    ['3.14', 3.14],
    ['TRUE', true],
    ['off', false],
    ['Null', null],
    ['12345678901234567890', '12345678901234567890'],
    ['-0', '-0'],
    ['1.0', '1.0'],
    ['007', '007'],
    ['*alias', '*alias'],
    ['!!str 1', '!!str 1'],
    ['- a', '- a'],
    ['a: b', 'a: b'],
  ])('%j -> %j', (text, expected) => {
    expect(scalar(text)).toEqual(expected);
  });
});

describe('-e @file', () => {
  it('reads a YAML file relative to cwd, each value located', async () => {
    const extra = await parseExtraVars(['@extra/STG/vars.yml'], CWD);
    expect(extra.values).toEqual({ env: 'STG', replicas: 3, features: ['a', 'b'], version: '1.10' });
    expect(extra.sources).toEqual({
      env: 'extra/STG/vars.yml:1:1',
      replicas: 'extra/STG/vars.yml:2:1',
      features: 'extra/STG/vars.yml:3:1',
      version: 'extra/STG/vars.yml:6:1',
    });
  });

  it('reads JSON', async () => {
    expect(await values('@extra/vars.json')).toEqual({ env: 'PRD', debug: true });
  });

  it('takes an empty file as no variables', async () => {
    expect(await values('@extra/empty.yml')).toEqual({});
  });

  it('names a missing file', async () => {
    const message = await failure('@extra/missing.yml');
    expect(message).toBe(
      `cannot read extra vars file extra/missing.yml (${resolve(CWD, 'extra/missing.yml')}): no such file`,
    );
  });

  it.each([
    ['@extra', `cannot read extra vars file extra (${resolve(CWD, 'extra')}): is a directory`],
    ['@', '-e #1: "@" needs a file name: -e @vars.yml'],
    [
      '@extra/bad.yml',
      'extra/bad.yml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      '@extra/list.yml',
      'extra/list.yml:1:1: extra vars file must be a mapping of variable names to values, got a list',
    ],
    [
      '@extra/badname.yml',
      `extra/badname.yml:2:1: bad-name: variable name "bad-name" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
  ])('refuses %s', async (arg, message) => {
    expect(await failure(arg)).toBe(message);
  });
});

describe('-e mapping', () => {
  it.each([
    ['{"a": 1, "b": [1, {"c": null}]}', { a: 1, b: [1, { c: null }] }],
    ['{a: yes, b: "x"}', { a: true, b: 'x' }],
    ['  {"a": {"b": 2}}  ', { a: { b: 2 } }],
    ['{}', {}],
  ])('%s', async (arg, expected) => {
    expect(await values(arg)).toEqual(expected);
  });

  it.each([
    ['{"a": 1,', '-e #1:1:9: invalid YAML: Flow map must end with a }'],
    ['[1, 2]', '-e #1:1:1: extra vars must be a mapping of variable names to values, got a list'],
    [
      '{"a-b": 1}',
      `-e #1:1:2: a-b: variable name "a-b" is not valid: use letters, digits and '_', not starting with a digit`,
    ],
    ['{"a": 1, "a": 2}', '-e #1:1:10: invalid YAML: duplicate key "a"'],
  ])('refuses %s', async (arg, message) => {
    expect(await failure(arg)).toBe(message);
  });
});

describe('several -e', () => {
  it('lets the later argument win and keeps every definition', async () => {
    const extra = await parseExtraVars(['@extra/STG/vars.yml', 'env=DEV replicas=1', '{"replicas": 5}'], CWD);
    expect(extra.values).toMatchObject({ env: 'DEV', replicas: 5 });
    expect(extra.sources).toMatchObject({ env: '-e #2', replicas: '-e #3' });
    const scope = VarScope.from([
      { layer: 'play vars', source: 'site.yml', values: { env: 'PLAY' } },
      extraVarsLayer(extra),
    ]);
    expect(scope.explain().find((e) => e.name === 'env')).toEqual({
      name: 'env',
      value: 'DEV',
      layer: 'extra vars',
      source: '-e #2',
      overridden: [
        { value: 'PLAY', layer: 'play vars', source: 'site.yml' },
        { value: 'STG', layer: 'extra vars', source: 'extra/STG/vars.yml:1:1' },
      ],
    });
  });

  it('gives an empty result for no -e', async () => {
    expect(await parseExtraVars([], CWD)).toEqual({ values: {}, sources: {}, definitions: [] });
  });
});

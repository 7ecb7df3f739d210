/**
 * Reading templates without rendering them (what the load checks before connecting): which
 * variables a template certainly needs, which it may look at, and the errors it would give.
 */
import { describe, expect, it } from 'vitest';
import { handlebarsForm } from '../../../src/vars/jinja-filters.js';
import { VarScope } from '../../../src/vars/scope.js';
import {
  inspectCondition,
  inspectTemplateFile,
  inspectValue,
  renderValue,
  undefinedVariableError,
} from '../../../src/vars/template.js';

const here = { label: 'here' };

function failure(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('did not fail');
}

describe('needed and referenced variables', () => {
  it.each([
    ['plain {{ a }} and {{ b.c }}', ['a', 'b'], ['a', 'b']],
    ['{{ default a "x" }} {{ defined b }}', [], ['a', 'b']],
    ['{{ and a b }} {{ or c d }}', ['a', 'c'], ['a', 'b', 'c', 'd']],
    ['{{ join (lookup m k) "," }}', ['m', 'k'], ['k', 'm']],
    ['{{ to_nice_json v indent=n }}', ['v', 'n'], ['n', 'v']],
    ['{{#if c}}{{ d }}{{else}}{{ e }}{{/if}}', ['c'], ['c', 'd', 'e']],
    ['{{#each xs as |x|}}{{ x.y }} {{ z }}{{/each}}', ['xs'], ['xs', 'z']],
    ['{{ @root.a }} {{ this.b }} {{ "literal" }} {{ 3 }}', [], ['b']],
    ['{{ not (a) }} {{ not (defined b) }}', ['a'], ['a', 'b']],
  ])('%s', (text, needed, referenced) => {
    const found = inspectValue({ list: [text] }, here);
    expect(found.needed.map((need) => need.name)).toEqual(needed);
    expect([...found.referenced].sort()).toEqual(referenced);
  });

  it('a condition list needs what its first item needs; later items only while the first holds', () => {
    const found = inspectCondition(['eq env "STG"', 'port'], here);
    expect(found.needed.map((need) => need.name)).toEqual(['env']);
    expect([...found.referenced].sort()).toEqual(['env', 'port']);
    expect(inspectCondition(true, here).needed).toEqual([]);
  });

  it('the load words an undefined variable exactly as the render does', () => {
    const value = 'line one\n  two {{ missing }}';
    const [need] = inspectValue(value, here).needed;
    const rendered = failure(() => renderValue(value, VarScope.empty(), here));
    expect(undefinedVariableError(need!).message).toBe(rendered);
    expect(rendered).toBe('here: undefined variable "missing" (line 2 of the value)');
  });
});

describe('errors found without rendering', () => {
  it.each([
    ['{{ default x }}', 'here: default: expects 2 or 3 arguments, got 1'],
    ['{{ join xs "," sep=1 }}', 'here: join: unknown option "sep" (it takes no options)'],
    ['{{#unless}}x{{/unless}}', 'here: #unless takes exactly one argument, got 0'],
    [
      '{{ app | upper }}',
      'here: invalid template: unexpected "|"; Jinja filters ("x | f") are not supported: call the helper first, e.g. {{ default x "y" }}, {{ join list "," }}',
    ],
    [
      '{{ out.stdout is search("ok") }}',
      'here: invalid template: unexpected "search"; Jinja tests ("x is ...") are not supported: use helpers, e.g. defined x, not (defined x), eq a b',
    ],
    [
      '{{ join(users, ",") }}',
      'here: invalid template: unexpected "join"; helpers take their arguments after a space, not in parentheses: join list ",", not join(list, ",")',
    ],
    ['{{ foo ', 'here: invalid template: "{{" is not closed; a literal "{{" is written "\\{{"'],
  ])('%s', (text, message) => {
    expect(failure(() => inspectValue(text, here))).toBe(message);
  });

  it('a template file: an unclosed block at its opening line, Jinja statements where written', () => {
    expect(failure(() => inspectTemplateFile('a\n  {{#each xs}}\n{{ this }}\n', 'f.hbs'))).toBe(
      'f.hbs:2:3: invalid template: "{{#each}}" is not closed (no "{{/each}}")',
    );
    expect(failure(() => inspectTemplateFile('a\n{% for x in xs %}\n', 'f.hbs'))).toMatch(
      /^f\.hbs:2:1: Jinja statement "\{% for %\}" is not supported/,
    );
  });
});

describe('Jinja filters in their Handlebars form', () => {
  it.each([
    ["{{ foo | default('x') }}", '{{ default foo "x" }}'],
    ['{{ foo|d("x", True) }}', '{{ default foo "x" true }}'],
    ["{{- users | join(', ') -}}", '{{ join users ", " }}'],
    ["{{ x | default(y) | join(',') }}", '{{ join (default x y) "," }}'],
    ['{{ port | int }}', '{{ int port }}'],
    ['{{ conf | to_nice_json(indent=2) }}', '{{ to_nice_json conf indent=2 }}'],
    ['{{ accounts | dict2items }}', '{{ dict2items accounts }}'],
    ['{{ name | upper }}', undefined],
    ['{{ xs | default([]) }}', undefined],
    ["{{ d['k'] | int }}", undefined],
    ['{{ a or b }}', undefined],
  ])('%s', (mustache, form) => {
    expect(handlebarsForm(mustache)).toBe(form);
  });
});

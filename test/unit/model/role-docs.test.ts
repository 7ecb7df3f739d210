/**
 * Each role's README carries a block generated from its definition (description and parameter
 * tables). The committed READMEs must hold what the code generates; `npm run docs` rewrites
 * them (UPDATE_DOCS=1), keeping the text outside the block.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { isRoleDefinition, type RoleDefinition } from '../../../src/model/role.js';
import {
  DOCS_END,
  DOCS_START,
  renderRoleReadme,
  roleDocsBlock,
  typeText,
} from '../../../src/model/role-docs.js';
import { packageRolesDir } from '../../../src/model/role-loader.js';
import greeting from '../../fixtures/roles/greeting/index.js';

const REGENERATE = 'regenerate with: npm run docs';

describe('roleDocsBlock', () => {
  it('documents the description and every parameter with its type and default', () => {
    expect(roleDocsBlock(greeting)).toBe(
      [
        DOCS_START,
        '',
        'Writes a greeting to a file and says it.',
        '',
        '## Parameters',
        '',
        '| Name | Type | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `who` | string | (required) | Who to greet |',
        '| `greeting` | string | `"Hello"` | The word of greeting |',
        '| `times` | integer >= 1 | `1` | How many times to say it |',
        '| `path` | string | `"/tmp/greeting.txt"` | File the greeting is written to |',
        '',
        DOCS_END,
      ].join('\n'),
    );
  });

  it('documents the fields of object entries, and says when there are no parameters', () => {
    const schema = Type.Object({
      people: Type.Record(
        Type.String(),
        Type.Object({
          uid: Type.Integer({ minimum: 1000, maximum: 60000, description: 'User id' }),
          shell: Type.Optional(Type.String({ default: '/bin/sh', description: 'Shell | login' })),
        }),
        { default: {}, description: 'By login' },
      ),
    });
    const block = roleDocsBlock({ name: 'x', schema });
    expect(block).toContain('| `people` | mapping of string to object | `{}` | By login |');
    expect(block).toContain('### Fields of each `people` entry');
    expect(block).toContain('| `uid` | integer 1000..60000 | (required) | User id |');
    expect(block).toContain('| `shell` | string | `"/bin/sh"` | Shell \\| login |');
    expect(roleDocsBlock({ name: 'x' })).toBe(
      `${DOCS_START}\n\nThis role takes no parameters.\n\n${DOCS_END}`,
    );
  });

  it("writes the role's own sections after the tables, inside the generated block", () => {
    const readme = [
      { title: 'Deviations', markdown: '| a | b |\n| --- | --- |\n' },
      { title: 'Notes', markdown: 'Plain text.' },
    ];
    const block = roleDocsBlock({ ...greeting, readme });
    expect(
      block.endsWith(`## Deviations\n\n| a | b |\n| --- | --- |\n\n## Notes\n\nPlain text.\n\n${DOCS_END}`),
    ).toBe(true);
    expect(block.indexOf('| `path` |')).toBeLessThan(block.indexOf('## Deviations'));
    expect(roleDocsBlock({ name: 'x', readme: [{ title: 'T', markdown: 'M' }] })).toBe(
      `${DOCS_START}\n\nThis role takes no parameters.\n\n## T\n\nM\n\n${DOCS_END}`,
    );
  });

  it.each([
    [Type.Union([Type.Literal('a'), Type.Literal('b')]), '`"a"` or `"b"`'],
    [Type.Array(Type.String({ pattern: '^/' })), 'list of string matching `^/`'],
    [
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer()])),
      'mapping of string to string or integer',
    ],
    [Type.String({ pattern: '^/', errorMessage: 'must be an absolute path' }), 'string: an absolute path'],
    [Type.Boolean(), 'boolean'],
    [Type.Number({ maximum: 5 }), 'number <= 5'],
  ])('names the type %#', (schema, text) => {
    expect(typeText(JSON.parse(JSON.stringify(schema)))).toBe(text);
  });
});

describe('renderRoleReadme', () => {
  it('replaces only the generated block of an existing README', () => {
    const old = `# Role\n\nIntro.\n\n${DOCS_START}\nold\n${DOCS_END}\n\n## Example\n\nkept\n`;
    expect(renderRoleReadme(greeting, old)).toBe(
      `# Role\n\nIntro.\n\n${roleDocsBlock(greeting)}\n\n## Example\n\nkept\n`,
    );
  });

  it('writes a title and the block above an unmarked README', () => {
    expect(renderRoleReadme(greeting)).toBe(`# Role \`greeting\`\n\n${roleDocsBlock(greeting)}\n`);
    expect(renderRoleReadme(greeting, 'Notes.\n')).toBe(
      `# Role \`greeting\`\n\n${roleDocsBlock(greeting)}\n\nNotes.\n`,
    );
  });
});

describe('committed role READMEs', async () => {
  const dir = packageRolesDir();
  const roles: RoleDefinition[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'index.ts');
    if (!existsSync(file)) continue;
    const exported = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    if (isRoleDefinition(exported)) roles.push(exported);
  }

  it('finds the roles', () => {
    expect(roles.map((role) => role.name)).toEqual(expect.arrayContaining(['base', 'cron', 'users']));
  });

  it.each(roles.map((role) => [role.name, role] as const))(
    'roles/%s/README.md is up to date',
    (name, role) => {
      const path = join(dir, name, 'README.md');
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      const generated = renderRoleReadme(role, committed);
      if (process.env.UPDATE_DOCS && generated !== committed) writeFileSync(path, generated);
      else
        expect(committed, `roles/${name}/README.md is missing or out of date; ${REGENERATE}`).toBe(generated);
    },
  );
});

/**
 * JSON Schemas for editors (yaml-language-server: `# yaml-language-server: $schema=...`): the
 * playbook (with every module's arguments and the parameters of Bosun's own roles), the
 * inventory, vars files and one file per TypeScript role. Built from the same TypeBox schemas
 * the loaders check with, so completion and validation cannot drift apart. The committed
 * copies in schemas/ are locked by test/unit/model/schema-snapshot.test.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TSchema, Type } from '@sinclair/typebox';
import { AwsEc2FileSchema } from '../inventory/aws-ec2-schema.js';
import { InventoryFileSchema, VarsFileSchema } from '../inventory/schema.js';
import { playKeywordSchemas, RoleRefSchema } from './playbook-schema.js';
import type { LoadedRole } from './playbook-types.js';
import { packageRolesDir, RoleLoader } from './role-loader.js';
import { type ModuleCatalog, registryCatalog } from './task-modules.js';
import { TaskKeywordSchemas, VARIABLE_NAME } from './task-schema.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';
type Json = Record<string, unknown>;

export interface ExportSchemasOptions {
  catalog?: ModuleCatalog;
  /** Roles whose parameters get a schema (default: the TypeScript roles shipped in roles/). */
  rolesDir?: string;
}

/** File name -> JSON Schema document. */
export async function exportSchemas(options: ExportSchemasOptions = {}): Promise<Record<string, object>> {
  const catalog = options.catalog ?? registryCatalog;
  const roles = await typedRoles(options.rolesDir ?? packageRolesDir(), catalog);
  const out: Record<string, object> = {
    'playbook.schema.json': playbookSchema(catalog, roles),
    'inventory.schema.json': document('Bosun inventory', InventoryFileSchema),
    'aws-ec2-inventory.schema.json': document('Bosun aws_ec2 inventory', AwsEc2FileSchema),
    'vars.schema.json': document('Bosun vars file', VarsFileSchema, {
      propertyNames: { pattern: VARIABLE_NAME.source },
    }),
  };
  for (const role of roles) {
    out[`role-${role.name}.schema.json`] = {
      $schema: DRAFT,
      title: `Parameters of Bosun role "${role.name}"`,
      ...paramsSchema(role),
    };
  }
  return out;
}

/** The text written for a schema: stable, two-space JSON with a final newline. */
export function schemaText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Write every schema into `dir` (created if needed); returns the paths written. */
export async function writeSchemas(dir: string, schemas: Record<string, object>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, schema] of Object.entries(schemas)) {
    const path = join(dir, name);
    await writeFile(path, schemaText(schema));
    written.push(path);
  }
  return written;
}

function playbookSchema(catalog: ModuleCatalog, roles: LoadedRole[]): Json {
  const keywords = Object.fromEntries(
    Object.entries(TaskKeywordSchemas).map(([key, schema]) => [key, plain(schema)]),
  );
  const modules: Json = {};
  for (const name of catalog.names()) {
    const module = catalog.get(name)!;
    const args = templatable(plain(module.schema));
    const description = (module as { description?: string }).description;
    const forms: Json[] = [args, { type: 'null' }];
    if (module.freeForm) forms.unshift({ type: 'string', description: `${module.freeForm} (free form)` });
    modules[name] = { ...(description ? { description } : {}), anyOf: forms };
  }
  const task = {
    type: 'object',
    properties: { ...keywords, ...modules },
    // Collection-qualified names (ansible.builtin.copy) are accepted as their module.
    patternProperties: { '^ansible\\.(builtin|legacy)\\.[a-z_]+$': {} },
    additionalProperties: false,
  };

  const ref = plain(RoleRefSchema);
  const branches = roles.map((role) => ({
    if: { properties: { role: { const: role.name } }, required: ['role'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited
    then: { properties: { params: templatable(paramsSchema(role)) } },
  }));
  const roleRef = { anyOf: [{ type: 'string' }, branches.length > 0 ? { ...ref, allOf: branches } : ref] };

  const play = {
    ...plain(Type.Partial(Type.Object(playKeywordSchemas(Type.Ref('task'), Type.Ref('roleRef'))))),
    required: ['hosts'],
    additionalProperties: false,
  };
  const definitions = { task, roleRef, play };
  // TypeBox writes references as bare ids; in one document they point into `definitions`.
  const resolved = JSON.parse(
    JSON.stringify(definitions).replace(/"\$ref":"(task|roleRef)"/g, '"$ref":"#/definitions/$1"'),
  ) as Json;
  return {
    $schema: DRAFT,
    title: 'Bosun playbook',
    type: 'array',
    items: { $ref: '#/definitions/play' },
    definitions: resolved,
  };
}

async function typedRoles(dir: string, catalog: ModuleCatalog): Promise<LoadedRole[]> {
  const loader = new RoleLoader({ searchPath: [dir], catalog });
  const roles: LoadedRole[] = [];
  for (const name of loader.available()) {
    const role = await loader.load(name);
    if (role.schema) roles.push(role);
  }
  return roles;
}

/** A role's params as the caller writes them: what has a default may be left out. */
function paramsSchema(role: LoadedRole): Json {
  const schema = plain(role.schema!);
  if (Array.isArray(schema.required)) {
    const required = (schema.required as string[]).filter((key) => !(key in role.defaults));
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
  return schema;
}

function document(title: string, schema: TSchema, extra: Json = {}): Json {
  return { $schema: DRAFT, title, ...plain(schema), ...extra };
}

/** A TypeBox schema as plain JSON (its symbol-keyed metadata dropped). */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

const TEMPLATE: Json = { type: 'string', pattern: '\\{\\{', description: 'a template, rendered per host' };

/**
 * Values of arguments may be `{{ templates }}` rendered per host: wherever a value other than a
 * free string is expected, a template string is accepted too.
 */
function templatable(schema: Json): Json {
  const out: Json = { ...schema };
  if (isJson(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([key, value]) => [key, orTemplate(value as Json)]),
    );
  }
  if (isJson(out.items)) out.items = orTemplate(out.items);
  if (isJson(out.additionalProperties)) out.additionalProperties = orTemplate(out.additionalProperties);
  if (isJson(out.patternProperties)) {
    out.patternProperties = Object.fromEntries(
      Object.entries(out.patternProperties).map(([key, value]) => [key, orTemplate(value as Json)]),
    );
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as Json[]).map(templatable);
  }
  return out;
}

function orTemplate(schema: Json): Json {
  const inner = templatable(schema);
  const freeString =
    inner.type === 'string' && !('pattern' in inner) && !('enum' in inner) && !('format' in inner);
  return freeString ? inner : { anyOf: [inner, TEMPLATE] };
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

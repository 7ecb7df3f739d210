/**
 * Role parameters a role's schema marks `secret: true` (the users role's password hashes):
 * their values are secrets of the run, however they reach the role.
 */
import type { TSchema } from '@sinclair/typebox';

/** Every string under a `secret: true` schema node of `schema`, in `value`. */
export function secretValues(schema: TSchema, value: unknown): string[] {
  const out: string[] = [];
  collect(schema, value, out);
  return out;
}

function collect(schema: TSchema | undefined, value: unknown, out: string[]): void {
  if (!schema || value === null || value === undefined) return;
  if ((schema as { secret?: unknown }).secret === true) {
    strings(value, out);
    return;
  }
  for (const option of [
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.allOf ?? []),
  ] as TSchema[])
    collect(option, value, out);
  if (Array.isArray(value)) {
    for (const item of value) collect(schema.items as TSchema | undefined, item, out);
    return;
  }
  if (typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  for (const [key, item] of Object.entries(record)) {
    const own = properties[key];
    if (own) collect(own, item, out);
    else if (schema.patternProperties)
      for (const pattern of Object.values(schema.patternProperties as Record<string, TSchema>))
        collect(pattern, item, out);
    else if (typeof schema.additionalProperties === 'object')
      collect(schema.additionalProperties as TSchema, item, out);
  }
}

function strings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) strings(item, out);
}

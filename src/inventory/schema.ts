/**
 * Ansible's YAML inventory shape, as a TypeBox schema: a mapping of top-level groups (`all`
 * and any others, which become children of `all`), each with optional `hosts`, `vars` and
 * `children`. Any of these may be empty (null), as Ansible allows.
 */
import { type Static, Type } from '@sinclair/typebox';

const Vars = Type.Record(Type.String(), Type.Unknown());

export const InventoryGroupSchema = Type.Recursive(
  (Group) =>
    Type.Object(
      {
        hosts: Type.Optional(
          Type.Union([Type.Null(), Type.Record(Type.String(), Type.Union([Type.Null(), Vars]))]),
        ),
        vars: Type.Optional(Type.Union([Type.Null(), Vars])),
        children: Type.Optional(
          Type.Union([Type.Null(), Type.Record(Type.String(), Type.Union([Type.Null(), Group]))]),
        ),
      },
      { additionalProperties: false },
    ),
  { $id: 'BosunInventoryGroup' },
);

export const InventoryFileSchema = Type.Union([
  Type.Null(),
  Type.Record(Type.String(), Type.Union([Type.Null(), InventoryGroupSchema])),
]);

export type InventoryGroupData = Static<typeof InventoryGroupSchema>;
export type InventoryFileData = Static<typeof InventoryFileSchema>;

/** group_vars/host_vars files: a mapping of variables (an empty file means none). */
export const VarsFileSchema = Type.Union([Type.Null(), Vars]);

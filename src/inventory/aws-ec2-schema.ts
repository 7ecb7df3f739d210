/**
 * The `plugin: aws_ec2` inventory file, in the shape Ansible's amazon.aws.aws_ec2 plugin users
 * know (regions, filters, include/exclude filters, hostnames, keyed_groups, groups, compose,
 * cache), plus Bosun's `bastion` wiring. Templates (`compose`, `groups`, `keyed_groups[].key`)
 * are Handlebars over the instance's data, as everywhere else in Bosun.
 */
import { type Static, Type } from '@sinclair/typebox';

const FilterValue = Type.Union([
  Type.String(),
  Type.Number(),
  Type.Boolean(),
  Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
]);

/** EC2 filter name -> value or values (`tag:Role: web`, `instance-state-name: [running]`). */
export const Ec2FiltersSchema = Type.Record(Type.String({ minLength: 1 }), FilterValue);

const Hostname = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      prefix: Type.Optional(Type.String()),
      separator: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
]);

const KeyedGroup = Type.Object(
  {
    /** A dotted path into the instance's data (`tags.Role`, `placement.availability_zone`, `security_groups[].group_name`), or a template. */
    key: Type.String({ minLength: 1 }),
    prefix: Type.Optional(Type.String()),
    separator: Type.Optional(Type.String()),
    /** Parent group of the groups made. */
    parent_group: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const Bastion = Type.Object(
  {
    /** A host of the inventory (any source) to jump through. */
    host: Type.Optional(Type.String({ minLength: 1 })),
    /** Tags a bastion instance carries; the one in each VPC serves that VPC's private hosts. */
    tags: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
    /** The group the bastions found by tag are put in (default `bastions`). */
    group: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const AwsEc2FileSchema = Type.Object(
  {
    plugin: Type.Union([Type.Literal('aws_ec2'), Type.Literal('amazon.aws.aws_ec2')]),
    regions: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' }))),
    filters: Type.Optional(Ec2FiltersSchema),
    include_filters: Type.Optional(Type.Array(Ec2FiltersSchema)),
    exclude_filters: Type.Optional(Type.Array(Ec2FiltersSchema)),
    hostnames: Type.Optional(Type.Array(Hostname, { minItems: 1 })),
    keyed_groups: Type.Optional(Type.Array(KeyedGroup)),
    groups: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Boolean()]))),
    compose: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    profile: Type.Optional(Type.String({ minLength: 1 })),
    credentials_file: Type.Optional(Type.String({ minLength: 1 })),
    iam_role_arn: Type.Optional(Type.String({ pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$' })),
    endpoint_url: Type.Optional(Type.String({ pattern: '^https?://' })),
    bastion: Type.Optional(Bastion),
    cache: Type.Optional(Type.Boolean()),
    /** Seconds a cached answer is used for (default 300). */
    cache_timeout: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Folder of the cache (default $XDG_CACHE_HOME/bosun/inventory or ~/.cache/bosun/inventory). */
    cache_connection: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, $id: 'BosunAwsEc2Inventory' },
);

export type AwsEc2File = Static<typeof AwsEc2FileSchema>;
export type Ec2Filters = Static<typeof Ec2FiltersSchema>;

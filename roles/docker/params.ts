/**
 * Parameters of the docker role: where the engine comes from, daemon.json, who may use the
 * engine, and the compose projects the host runs.
 */
import { type Static, Type } from '@sinclair/typebox';
import { duplicateIssues, type RoleParamIssue } from '../../src/model/role.js';
import { absPath } from '../nginx/params.js';

const PROJECT = '^[a-z0-9][a-z0-9_-]{0,62}$';
const PROJECT_MESSAGE = 'must be lower-case letters, digits, "_" and "-", starting with a letter or digit';
const FILE_NAME = '^[A-Za-z0-9_.-]+$';
const CIDR = '^[0-9]{1,3}(?:\\.[0-9]{1,3}){3}/[0-9]{1,2}$';
const URL = '^https?://[A-Za-z0-9_.:\\[\\]-]+(?::[0-9]{1,5})?/?$';

const EnvFile = Type.Object(
  {
    name: Type.String({
      pattern: FILE_NAME,
      errorMessage: 'must be a file name (letters, digits, "_", "." and "-")',
      description:
        'File name in the project folder (".env" is read by compose itself; others through env_file:).',
    }),
    src: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'A template on the controller (relative: the playbook folder), rendered with the host variables.',
      }),
    ),
    vars: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
        description: 'Variables written as KEY=value lines (when no src is given).',
      }),
    ),
  },
  { additionalProperties: false },
);

const ComposeProject = Type.Object(
  {
    name: Type.String({
      pattern: PROJECT,
      errorMessage: PROJECT_MESSAGE,
      description:
        'The compose project name (-p): containers are <name>_<service>_1 (v1) or <name>-<service>-1 (v2).',
    }),
    folder: Type.Optional(absPath('Folder of the compose file and env files; default /opt/compose/<name>.')),
    template: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The compose file as a template on the controller (relative: the playbook folder), written as <folder>/compose.yml.',
      }),
    ),
    file: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The compose file as it is, from the controller, written as <folder>/compose.yml.',
      }),
    ),
    env_files: Type.Optional(
      Type.Array(EnvFile, { default: [], description: 'Env files written beside it (mode 0600).' }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent'), Type.Literal('restarted')], {
        default: 'present',
        description:
          'present: `up -d` when the files, the env files or the images of its services changed, or a service is not running. absent: `down` and the folder removed (named volumes stay). restarted: as present, then restarted on every run.',
      }),
    ),
    wait_timeout: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3600,
        default: 120,
        description:
          'Seconds to wait after `up` for every container to run and, where it has a health check, be healthy; 0 does not wait.',
      }),
    ),
  },
  { additionalProperties: false },
);

const AddressPool = Type.Object(
  {
    base: Type.String({ pattern: CIDR, errorMessage: 'must be an IPv4 network such as "10.200.0.0/16"' }),
    size: Type.Integer({
      minimum: 8,
      maximum: 30,
      description: 'Prefix length of each network cut from base.',
    }),
  },
  { additionalProperties: false },
);

export const DockerParams = Type.Object({
  docker_source: Type.Union([Type.Literal('distribution'), Type.Literal('docker')], {
    default: 'distribution',
    description:
      "distribution: Debian's or Ubuntu's docker.io (and docker-compose 1.29 for compose). docker: Docker's apt repository (docker-ce and the compose plugin), its key in /etc/apt/keyrings named by signed-by, the suite from the host's codename (facts).",
  }),
  docker_repo_url: Type.String({
    default: '',
    pattern: '^(?:https?://[^\\s]+)?$',
    errorMessage: 'must be an http(s) URL',
    description:
      'Docker\'s repository, with docker_source: docker; "" is https://download.docker.com/linux/debian, or /ubuntu on Ubuntu.',
  }),
  docker_repo_key_url: Type.String({
    default: '',
    pattern: '^(?:https?://[^\\s]+)?$',
    errorMessage: 'must be an http(s) URL',
    description: 'Its signing key; "" is <docker_repo_url>/gpg.',
  }),
  docker_compose: Type.Boolean({
    default: true,
    description:
      "Install compose: the compose plugin (`docker compose`) from Docker's repository, else the distribution's docker-compose (`docker-compose`). Projects use whichever the host has.",
  }),
  docker_users: Type.Array(
    Type.String({ pattern: '^[a-z_][a-z0-9_-]*[$]?$', errorMessage: 'must be a user name' }),
    {
      default: [],
      description: 'Existing accounts added to the docker group (root-equivalent: they control the engine).',
    },
  ),
  docker_log_driver: Type.String({
    default: 'json-file',
    pattern: '^[a-z0-9_-]+$',
    errorMessage: 'must be a log driver name such as json-file, local or journald',
    description: 'Default log driver of containers.',
  }),
  docker_log_max_size: Type.String({
    default: '10m',
    pattern: '^[0-9]+[kmg]?$',
    errorMessage: 'must be a size such as "10m"',
    description: 'Largest log file per container before rotation (json-file and local drivers only).',
  }),
  docker_log_max_file: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 3,
    description: 'Log files kept per container (json-file and local drivers only).',
  }),
  docker_registry_mirrors: Type.Array(
    Type.String({ pattern: URL, errorMessage: 'must be an http(s) URL of a registry' }),
    {
      default: [],
      description: 'Registry mirrors tried before Docker Hub.',
    },
  ),
  docker_data_root: absPath('Where the engine keeps images, containers and volumes.', '/var/lib/docker'),
  docker_live_restore: Type.Boolean({
    default: true,
    description: 'Containers keep running while the engine restarts (a daemon.json change restarts it).',
  }),
  docker_default_address_pools: Type.Array(AddressPool, {
    default: [],
    description:
      "Networks compose and `docker network create` take their subnets from (the engine's defaults when empty): keep them clear of the VPC's CIDR.",
  }),
  docker_compose_projects: Type.Array(ComposeProject, {
    default: [],
    description: 'Compose projects the host runs.',
  }),
});
export type DockerParams = Static<typeof DockerParams>;

export function checkDocker(params: Partial<DockerParams>): RoleParamIssue[] {
  const projects = params.docker_compose_projects ?? [];
  const issues = duplicateIssues('docker_compose_projects', projects, 'name');
  for (const [index, project] of projects.entries()) {
    const state = project.state ?? 'present';
    const given = [project.template, project.file].filter((v) => v !== undefined).length;
    if (state !== 'absent' && given !== 1) {
      issues.push({
        path: ['docker_compose_projects', index],
        message: 'give the compose file as template or as file (one of them)',
      });
    }
    for (const issue of duplicateIssues('env_files', project.env_files, 'name')) {
      issues.push({ ...issue, path: ['docker_compose_projects', index, ...issue.path] });
    }
    for (const [at, env] of (project.env_files ?? []).entries()) {
      if ((env.src === undefined) === (env.vars === undefined)) {
        issues.push({
          path: ['docker_compose_projects', index, 'env_files', at],
          message: 'give src or vars (one of them)',
        });
      }
    }
  }
  return issues;
}

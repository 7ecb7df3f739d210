/**
 * Role `docker`: the container engine and the compose projects a host runs. The engine from
 * the distribution (docker.io) or from Docker's repository; daemon.json from typed parameters,
 * checked before it replaces the live file, the engine restarted only when it changed; the
 * docker group; and compose projects brought up only when their files or images changed.
 */
import { defineRole, type TaskInput } from '../../src/model/role.js';
import { scriptTask } from '../../src/model/role-scripts.js';
import { checkDocker, DockerParams } from './params.js';
import { COMPOSE_SCRIPT, VALIDATE_COMMAND, VALIDATE_SCRIPT } from './scripts.js';

const FROM_DISTRIBUTION = 'eq docker_source "distribution"';
const FROM_DOCKER = 'eq docker_source "docker"';
/** A field of the project, as a path or sub-expression: loops over projects, env file loops (pairs). */
type Field = (key: string) => string;
const ofItem: Field = (key) => `item.${key}`;
const ofThis: Field = (key) => `this.${key}`;
const ofPair: Field = (key) => `(lookup (lookup item 0) "${key}")`;
const ofEnv: Field = (key) => `(lookup (lookup item 1) "${key}")`;
/** `{{ field }}`: a sub-expression is written without its parentheses. */
const out = (expr: string) => `{{ ${expr.startsWith('(') ? expr.slice(1, -1) : expr} }}`;
const folder = (field: Field) =>
  `{{#if (defined ${field('folder')})}}${out(field('folder'))}{{else}}/opt/compose/${out(field('name'))}{{/if}}`;
const NOT_ABSENT = 'ne (default item.state "present") "absent"';
const ENV_NOT_ABSENT = `ne (default ${ofPair('state')} "present") "absent"`;
const ENV_DEST = `${folder(ofPair)}/${out(ofEnv('name'))}`;
/** Names of the projects (item, or item 0 for env files) whose files the registered loop changed. */
const changedNames = (register: string, project: string) =>
  `{{#each ${register}.results}}{{#if this.changed}}${out(project)} {{/if}}{{/each}}`;

const tasks: TaskInput[] = [
  // ------------------------------------------------------------------ the engine
  {
    name: "install the engine (the distribution's docker.io)",
    // Not docker.io's recommends (git, needrestart...): what a container host does not need.
    apt: {
      name: ['docker.io'],
      state: 'present',
      update_cache: true,
      cache_valid_time: 3600,
      install_recommends: false,
    },
    when: FROM_DISTRIBUTION,
  },
  {
    name: "install the distribution's docker-compose",
    apt: { name: ['docker-compose'], state: 'present', install_recommends: false },
    when: `and (${FROM_DISTRIBUTION}) docker_compose`,
  },
  {
    name: "Docker's repository, its key named by signed-by, the suite from the host's codename",
    apt_repository: {
      repo: 'deb [arch={{ bosun_facts.deb_architecture }}] {{ docker_repo }} {{ bosun_facts.codename }} stable',
      key_url: '{{#if docker_repo_key_url}}{{ docker_repo_key_url }}{{else}}{{ docker_repo }}/gpg{{/if}}',
      filename: 'docker',
    },
    vars: {
      docker_repo:
        '{{#if docker_repo_url}}{{ docker_repo_url }}{{else}}https://download.docker.com/linux/{{#if (eq bosun_facts.distribution "Ubuntu")}}ubuntu{{else}}debian{{/if}}{{/if}}',
    },
    when: FROM_DOCKER,
  },
  {
    name: "install the engine from Docker's repository",
    apt: { name: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin'], state: 'present' },
    when: FROM_DOCKER,
  },
  {
    name: 'install the compose plugin',
    apt: { name: ['docker-compose-plugin'], state: 'present' },
    when: `and (${FROM_DOCKER}) docker_compose`,
  },

  // ------------------------------------------------------------------ daemon.json
  {
    name: 'the folder of daemon.json',
    file: { path: '/etc/docker', state: 'directory', owner: 'root', group: 'root', mode: '0755' },
  },
  {
    name: 'the script that checks a candidate daemon.json',
    copy: { content: VALIDATE_SCRIPT, dest: VALIDATE_COMMAND, owner: 'root', group: 'root', mode: '0755' },
  },
  {
    name: 'write daemon.json (checked before it replaces the live one)',
    template: {
      src: 'daemon.json.hbs',
      dest: '/etc/docker/daemon.json',
      owner: 'root',
      group: 'root',
      mode: '0644',
      validate: `${VALIDATE_COMMAND} %s`,
    },
    notify: 'restart docker',
  },
  {
    name: 'users of the engine (docker group)',
    user: { name: '{{ item }}', groups: ['docker'], append: true },
    loop: '{{ docker_users }}',
  },
  {
    name: 'run the engine',
    service: { name: 'docker', state: 'started', enabled: true },
  },
  // The engine runs with its new daemon.json before any project starts.
  { meta: 'flush_handlers' },

  // ------------------------------------------------------------------ compose projects
  {
    name: 'compose project folders',
    file: { path: folder(ofItem), state: 'directory', owner: 'root', group: 'root', mode: '0750' },
    loop: '{{ docker_compose_projects }}',
    when: NOT_ABSENT,
  },
  {
    name: 'compose files from templates',
    template: { src: '{{ item.template }}', dest: `${folder(ofItem)}/compose.yml`, mode: '0640' },
    loop: '{{ docker_compose_projects }}',
    when: `and (${NOT_ABSENT}) (defined item.template)`,
    register: 'docker_compose_templates',
  },
  {
    name: 'compose files as they are',
    copy: { src: '{{ item.file }}', dest: `${folder(ofItem)}/compose.yml`, mode: '0640' },
    loop: '{{ docker_compose_projects }}',
    when: `and (${NOT_ABSENT}) (defined item.file)`,
    register: 'docker_compose_copies',
  },
  {
    name: 'env files from templates',
    template: { src: out(ofEnv('src')), dest: ENV_DEST, mode: '0600' },
    loop: '{{ subelements docker_compose_projects "env_files" skip_missing=true }}',
    when: `and (${ENV_NOT_ABSENT}) (defined ${ofEnv('src')})`,
    register: 'docker_env_templates',
    no_log: true,
  },
  {
    name: 'env files from variables',
    copy: {
      content: `{{#each ${ofEnv('vars')}}}{{ @key }}={{ this }}\n{{/each}}`,
      dest: ENV_DEST,
      mode: '0600',
    },
    loop: '{{ subelements docker_compose_projects "env_files" skip_missing=true }}',
    when: `and (${ENV_NOT_ABSENT}) (defined ${ofEnv('vars')})`,
    register: 'docker_env_copies',
    no_log: true,
  },
  scriptTask(
    'compose projects: up when their files or images changed, down when absent',
    COMPOSE_SCRIPT,
    'docker_compose_up',
    {
      PROJECTS: `{{#each docker_compose_projects}}{{ this.name }} ${folder(ofThis)} {{ default this.state "present" }} {{ default this.wait_timeout 120 }}\n{{/each}}`,
      CHANGED: [
        changedNames('docker_compose_templates', 'this.item.name'),
        changedNames('docker_compose_copies', 'this.item.name'),
        changedNames('docker_env_templates', '(lookup (lookup this.item 0) "name")'),
        changedNames('docker_env_copies', '(lookup (lookup this.item 0) "name")'),
      ].join(''),
    },
  ),
];

const handlers: TaskInput[] = [{ name: 'restart docker', service: { name: 'docker', state: 'restarted' } }];

export default defineRole({
  name: 'docker',
  description: [
    "The Docker engine: the distribution's docker.io, or Docker's own apt repository (its key named by",
    "signed-by, the suite from the host's codename); daemon.json from typed parameters (log driver and",
    'size limits, registry mirrors, data root, live-restore, default address pools), checked before it',
    'replaces the live file, the engine restarted only when it changed; users added to the docker group;',
    'and compose projects (a compose file from a template or a file, env files, present, absent or',
    'restarted), brought up only when their files or images changed, with their health waited for.',
    'Debian and Ubuntu hosts booted by systemd; it reads the host facts.',
  ].join('\n'),
  schema: DockerParams,
  check: (params) => checkDocker(params as Partial<DockerParams>),
  gatherFacts: true,
  tasks,
  handlers,
  readme: [
    {
      title: 'Compose: plugin or docker-compose',
      markdown: [
        "With `docker_source: docker` the role installs Docker's compose plugin (`docker compose`);",
        "otherwise the distribution's `docker-compose` (on Debian 12, the Python 1.29 CLI: the plugin is",
        "only in Docker's repository). The projects use whichever the host has, the plugin first, with",
        'the same parameters: `-p <name> -f <folder>/compose.yml --project-directory <folder>`.',
      ].join('\n'),
    },
    {
      title: 'When a project is brought up',
      markdown: [
        "The role keeps, in `<folder>/.bosun-compose.sha256`, the digest of the folder's files (the",
        'compose file and the env files) at the last successful `up`. It runs `up -d --remove-orphans`',
        'only when that digest differs, when a service of the project is not running, or when a',
        'container runs another image than its tag now names (a new image loaded or pulled under the same',
        'tag). Compose itself then recreates only the services whose definition or image changed. After',
        'an `up`, every container of the project must be running, and healthy where it has a health',
        'check, within `wait_timeout` seconds, or the task fails (the digest is then not written, so the',
        'next run tries again). Services that exit by design (one-shot jobs) do not fit this wait: give',
        'such a project `wait_timeout: 0`. `absent` runs `down --remove-orphans` and removes the folder;',
        'named volumes stay.',
      ].join('\n'),
    },
    {
      title: 'daemon.json is checked before it is live',
      markdown: [
        'The candidate file is checked by `/usr/local/sbin/bosun-docker-validate` before it replaces',
        '/etc/docker/daemon.json: `dockerd --validate --config-file` where dockerd has that option (Docker',
        "23 and later, so Docker's repository). Debian 12's docker.io is dockerd 20.10, which has no",
        '`--validate`: there the file is only parsed as JSON, and a value dockerd refuses shows when the',
        'engine restarts. The parameters are typed and the file is made from them, so a syntax error',
        'cannot come from the role. A change restarts the engine once (handler), before any compose',
        'project is brought up; with `docker_live_restore` (the default) containers keep running through',
        'the restart.',
      ].join('\n'),
    },
  ],
});

/**
 * Role `drush`: Drupal's shell on a host. PHP CLI and Composer from Debian, Drush installed with
 * Composer at a pinned version (in a project of its own, or into a site's Composer project) and
 * linked onto the PATH, site aliases in /etc/drush/sites, and `drush cron` entries written the
 * way the cron role writes its own (cronEntryTasks).
 *
 * Composer runs only when the Drush installed in the project is not the pinned version, read from
 * Composer's own vendor/composer/installed.php: a second run calls neither Composer nor Packagist.
 */
import { type Static, Type } from '@sinclair/typebox';
import { defineRole, duplicateIssues, type RoleParamIssue, type TaskInput } from '../../src/model/role.js';
import { changeScript, scriptTask } from '../../src/model/role-scripts.js';
import { CRON_SCHEDULE_FIELDS, cronEntryTasks, LOGIN, LOGIN_MESSAGE, scheduleIssues } from '../cron/index.js';
import { ABS_PATH, ABS_PATH_MESSAGE } from '../nginx/params.js';

const PACKAGIST = 'https://repo.packagist.org';
const SITE = '^[a-z0-9][a-z0-9_-]{0,63}$';
const SITE_MESSAGE = 'must be lower-case letters, digits, "_" and "-", starting with a letter or digit';
const ENVIRONMENT = new RegExp(SITE);
const ALIAS_DIR = '/etc/drush/sites';

const AliasEnvironment = Type.Object(
  {
    root: Type.Optional(
      Type.String({ pattern: ABS_PATH, errorMessage: ABS_PATH_MESSAGE, description: 'Drupal root.' }),
    ),
    uri: Type.Optional(
      Type.String({
        pattern: '^[^\\s]+$',
        errorMessage: 'must be a URI without spaces',
        description: "The site's URI (multisite selection, and the base of URLs Drush prints).",
      }),
    ),
    host: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*$',
        errorMessage: 'must be a host name or address',
        description: 'Remote sites only: Drush runs the command there over ssh.',
      }),
    ),
    user: Type.Optional(
      Type.String({
        pattern: LOGIN,
        errorMessage: LOGIN_MESSAGE,
        description: 'Remote sites: the ssh login.',
      }),
    ),
    ssh: Type.Optional(
      Type.Object(
        {
          options: Type.String({
            pattern: '^[^\\r\\n]*$',
            errorMessage: 'must be one line of text',
            description: 'Options for ssh, such as "-p 2222".',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    paths: Type.Optional(
      Type.Object(
        {
          'drush-script': Type.String({
            pattern: ABS_PATH,
            errorMessage: ABS_PATH_MESSAGE,
            description: 'Drush on the remote host, when not on its PATH.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const DrushAlias = Type.Object(
  {
    name: Type.String({
      pattern: SITE,
      errorMessage: SITE_MESSAGE,
      description: `The site: ${ALIAS_DIR}/<name>.site.yml, its environments @<name>.<environment>.`,
    }),
    environments: Type.Record(Type.String(), AliasEnvironment, {
      minProperties: 1,
      description:
        'Environment name (lower-case letters, digits, "_", "-") to its settings, with Drush\'s own keys: root, uri, and for a remote site host, user, ssh.options, paths.drush-script.',
    }),
    state: Type.Optional(
      Type.Union([Type.Literal('present'), Type.Literal('absent')], {
        default: 'present',
        description: 'absent: the alias file is removed.',
      }),
    ),
  },
  { additionalProperties: false },
);

const { user: _cronUser, ...SCHEDULE } = CRON_SCHEDULE_FIELDS;
const DrushCron = Type.Object(
  {
    alias: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]*\\.[a-z0-9][a-z0-9_-]*$',
      errorMessage: 'must be <site>.<environment> of drush_aliases, without the @',
      description:
        'Which site: `drush @<alias> cron` runs. The entry is named "drush cron @<alias>" in the crontab.',
    }),
    ...SCHEDULE,
    user: Type.Optional(
      Type.String({
        pattern: LOGIN,
        errorMessage: LOGIN_MESSAGE,
        description: "Whose crontab (the site's files belong to it); default drush_owner.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const DrushParams = Type.Object(
  {
    drush_version: Type.String({
      pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
      errorMessage: 'must be an exact version such as "12.5.3"',
      default: '12.5.3',
      description:
        "The Drush release installed (drush/drush). 12.x is the last for Debian 12's PHP 8.2: Drush 13 needs PHP 8.3.",
    }),
    drush_install: Type.Union([Type.Literal('global'), Type.Literal('project')], {
      default: 'global',
      description:
        "global: a Composer project of the role's own in drush_dir, requiring only Drush. project: drush_dir is a site's Composer project (its composer.json, and its repositories, exist): Drush is required into it.",
    }),
    drush_dir: Type.String({
      pattern: ABS_PATH,
      errorMessage: ABS_PATH_MESSAGE,
      default: '/opt/drush',
      description: 'The Composer project Drush is installed in (vendor/bin/drush).',
    }),
    drush_owner: Type.String({
      pattern: LOGIN,
      errorMessage: LOGIN_MESSAGE,
      default: 'root',
      description:
        "Who runs Composer in drush_dir (and owns it, when global); a site's project: its owner. Also the default user of drush_cron.",
    }),
    drush_bin: Type.String({
      pattern: ABS_PATH,
      errorMessage: ABS_PATH_MESSAGE,
      default: '/usr/local/bin/drush',
      description: 'A symbolic link to drush_dir/vendor/bin/drush, on the PATH (replaces a file there).',
    }),
    drush_composer_repository: Type.String({
      pattern: '^(https|file)://[^\\s]+$',
      errorMessage: 'must be an https:// or file:// URL',
      default: PACKAGIST,
      description: `global: the Composer repository (type composer) Drush and its dependencies come from, instead of Packagist (${PACKAGIST}): a mirror, Private Packagist, Satis; file:// for one on the host. project: the project's composer.json says.`,
    }),
    drush_php_packages: Type.Array(
      Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$', errorMessage: 'must be a Debian package name' }),
      {
        default: [],
        description:
          'More PHP packages from Debian, such as the extensions the sites need (php-mysql, php-gd). php-cli, php-xml (dom, which Drush needs), composer and unzip are always installed.',
      },
    ),
    drush_aliases: Type.Array(DrushAlias, {
      default: [],
      description: `Site aliases, one file per site in ${ALIAS_DIR} (which /etc/drush/drush.yml adds to Drush's alias path).`,
    }),
    drush_cron: Type.Array(DrushCron, {
      default: [],
      description:
        'Cron entries running `drush @<alias> cron --quiet` (the cron role installs and runs cron).',
    }),
  },
  { additionalProperties: false },
);
export type DrushParams = Static<typeof DrushParams>;

export function checkDrush(params: Partial<DrushParams>): RoleParamIssue[] {
  const issues = duplicateIssues('drush_aliases', params.drush_aliases, 'name');
  const known = new Set<string>();
  for (const [index, site] of (params.drush_aliases ?? []).entries()) {
    for (const environment of Object.keys(site.environments)) {
      if (!ENVIRONMENT.test(environment)) {
        issues.push({
          path: ['drush_aliases', index, 'environments', environment],
          target: 'key',
          message: `"${environment}" is not an environment name (${SITE_MESSAGE.replace('must be ', '')})`,
        });
      }
      if ((site.state ?? 'present') === 'present') known.add(`${site.name}.${environment}`);
    }
  }
  const seen = new Map<string, number>();
  for (const [index, entry] of (params.drush_cron ?? []).entries()) {
    const user = entry.user ?? params.drush_owner ?? 'root';
    const first = seen.get(`${user}\n${entry.alias}`);
    if (first !== undefined) {
      issues.push({
        path: ['drush_cron', index, 'alias'],
        message: `"${entry.alias}" already has an entry for user ${user}: drush_cron[${first}]`,
      });
    }
    seen.set(`${user}\n${entry.alias}`, index);
    if ((entry.state ?? 'present') === 'present' && !known.has(entry.alias)) {
      issues.push({
        path: ['drush_cron', index, 'alias'],
        message: `"${entry.alias}" is not a site.environment of drush_aliases`,
      });
    }
    issues.push(...scheduleIssues('drush_cron', index, entry));
  }
  return issues;
}

/**
 * Installs DRUSH_VERSION with Composer in DIR as OWNER unless installed.php already says that
 * version. MODE global: `composer update` of the role's project; project: `composer require`
 * into the site's project, updating Drush's own dependencies only.
 */
export const INSTALL_SCRIPT = changeScript(String.raw`
installed=
manifest=$DIR/vendor/composer/installed.php
if [ -f "$manifest" ]; then
  installed=$(php -r '$v = require $argv[1]; echo $v["versions"]["drush/drush"]["pretty_version"] ?? "";' -- "$manifest") || exit 1
fi
[ "$installed" = "$DRUSH_VERSION" ] && finish
was=$installed
[ -n "$was" ] || was=none
# The role wrote the global project's composer.json (not yet, in check mode on a fresh host).
if [ "$MODE" = project ] && [ ! -f "$DIR/composer.json" ]; then
  printf 'no composer.json in %s: drush_install "project" installs into an existing Composer project\n' "$DIR" >&2
  exit 1
fi
composer_as_owner() {
  if [ "$OWNER" = root ]; then
    COMPOSER_ALLOW_SUPERUSER=1 composer --working-dir="$DIR" --no-interaction --no-progress "$@" 2>&1
  else
    runuser -u "$OWNER" -- composer --working-dir="$DIR" --no-interaction --no-progress "$@" 2>&1
  fi
}
if [ "$MODE" = global ]; then
  act "install drush/drush $DRUSH_VERSION in $DIR with Composer (was: $was)" composer_as_owner update --no-dev
else
  act "require drush/drush $DRUSH_VERSION in $DIR with Composer (was: $was)" composer_as_owner require "drush/drush:$DRUSH_VERSION" --update-with-dependencies
fi
finish
`);

/** The role's own Composer project (global): Drush alone, from drush_composer_repository only. */
const COMPOSER_JSON = `{
    "name": "bosun/drush",
    "description": "Drush for this host, managed by Bosun (role drush)",
    "type": "project",
    "license": "proprietary",
    "require": {
        "drush/drush": {{ to_json drush_version }}
    },
    "repositories": [
        { "type": "composer", "url": {{ to_json drush_composer_repository }} },
        { "packagist.org": false }
    ],
    "config": { "sort-packages": true }
}
`;

const DRUSH_YML = `# Managed by Bosun (role drush): Drush finds the site aliases of ${ALIAS_DIR}.
drush:
  paths:
    alias-path:
      - ${ALIAS_DIR}
`;

const GLOBAL = 'eq drush_install "global"';
const PRESENT = 'ne (default item.state "present") "absent"';

const tasks: TaskInput[] = [
  {
    name: 'PHP CLI and Composer from Debian',
    apt: {
      name: ['php-cli', 'php-xml', 'composer', 'unzip'],
      state: 'present',
      install_recommends: false,
      update_cache: true,
      cache_valid_time: 3600,
    },
  },
  {
    name: 'more PHP packages',
    apt: { name: '{{ drush_php_packages }}', state: 'present', install_recommends: false },
    when: 'gt (length drush_php_packages) 0',
  },
  {
    name: "Drush's Composer project",
    file: { path: '{{ drush_dir }}', state: 'directory', owner: '{{ drush_owner }}', mode: '0755' },
    when: GLOBAL,
  },
  {
    name: "Drush's composer.json",
    copy: {
      content: COMPOSER_JSON,
      dest: '{{ drush_dir }}/composer.json',
      owner: '{{ drush_owner }}',
      mode: '0644',
    },
    when: GLOBAL,
  },
  scriptTask('Drush installed with Composer at the pinned version', INSTALL_SCRIPT, 'drush_installed', {
    MODE: '{{ drush_install }}',
    DIR: '{{ drush_dir }}',
    OWNER: '{{ drush_owner }}',
    DRUSH_VERSION: '{{ drush_version }}',
  }),
  {
    name: 'drush on the PATH',
    // force: the target exists only once Composer ran (not yet in check mode on a fresh host).
    file: { src: '{{ drush_dir }}/vendor/bin/drush', dest: '{{ drush_bin }}', state: 'link', force: true },
  },
  {
    name: "Drush's system folders",
    file: { path: '{{ item }}', state: 'directory', owner: 'root', group: 'root', mode: '0755' },
    loop: ['/etc/drush', ALIAS_DIR],
  },
  {
    name: 'alias path in /etc/drush/drush.yml',
    copy: { content: DRUSH_YML, dest: '/etc/drush/drush.yml', owner: 'root', group: 'root', mode: '0644' },
  },
  {
    name: 'site aliases',
    copy: {
      content: '# Managed by Bosun (role drush).\n{{ to_yaml item.environments }}\n',
      dest: `${ALIAS_DIR}/{{ item.name }}.site.yml`,
      owner: 'root',
      group: 'root',
      mode: '0644',
    },
    loop: '{{ drush_aliases }}',
    when: PRESENT,
  },
  {
    name: 'site aliases removed',
    file: { path: `${ALIAS_DIR}/{{ item.name }}.site.yml`, state: 'absent' },
    loop: '{{ drush_aliases }}',
    when: 'eq (default item.state "present") "absent"',
  },
  ...cronEntryTasks(
    { scheduled: 'drush cron entries', special: 'drush cron entries at special times' },
    '{{ drush_cron }}',
    {
      name: 'drush cron @{{ item.alias }}',
      job: '{{ quote drush_bin }} @{{ item.alias }} cron --quiet',
      user: '{{ default item.user drush_owner }}',
    },
  ),
];

export default defineRole({
  name: 'drush',
  description: [
    "Drupal's shell. PHP CLI and Composer from Debian; Drush installed with Composer at a pinned",
    "version (`drush_version`), in a Composer project of the role's own (`drush_install: global`) or",
    "into a site's project (`project`), and linked onto the PATH (`drush_bin`). Composer runs only",
    'when the installed Drush (vendor/composer/installed.php) is not that version. Site aliases from',
    '`drush_aliases` in /etc/drush/sites, and `drush @<alias> cron` entries from `drush_cron`.',
  ].join('\n'),
  schema: DrushParams,
  check: (params) => checkDrush(params as Partial<DrushParams>),
  tasks,
  readme: [
    {
      title: 'Example: the CRM host',
      markdown: [
        '`playbooks/crm.yml` applies this role when `crm_drush` is true, after cron (which runs the',
        'entries) and before hardening. In `vars/<ENV>/vars.yml`:',
        '',
        '```yaml',
        'crm_drush: true',
        'drush_aliases:',
        '  - name: crm',
        '    environments:',
        '      stg: { root: /var/www/crm/web, uri: "https://crm.stg.example.com" }',
        'drush_cron:',
        '  - { alias: crm.stg, minute: "*/15", user: www-data }',
        '```',
        '',
        'Then `drush @crm.stg status` works on the host, and www-data runs `drush @crm.stg cron` every',
        '15 minutes. To install Drush into the site itself instead: `drush_install: project`,',
        '`drush_dir: /var/www/crm`, `drush_owner: www-data`; its composer.json must reach Packagist or',
        'name a repository that holds drush/drush and its dependencies.',
        '',
        "Composer's repository: Packagist by default. Behind a firewall, point",
        '`drush_composer_repository` at a mirror (Private Packagist, Satis over https) holding',
        'drush/drush and its dependencies; the role then reads only that one.',
      ].join('\n'),
    },
  ],
});

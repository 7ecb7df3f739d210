/**
 * Scheduled jobs: named entries in users' crontabs, and the backup job operators run (a
 * script installed by the role, daily/weekly/monthly archives and a clean-up of old ones).
 */
import { type Static, Type } from '@sinclair/typebox';
import { defineRole, type RoleParamIssue, type TaskInput } from '../../src/model/role.js';

export const LOGIN = '^[a-z_][a-z0-9_-]{0,31}$';
export const LOGIN_MESSAGE =
  'must be a login (lower-case letters, digits, "_" and "-", not starting with a digit)';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ONE_LINE = '^[^\\r\\n]+$';
const FIELD = '^[0-9A-Za-z*/,-]+$';
const SPECIAL = ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'] as const;
const SCHEDULE = `^(?:|@(?:${SPECIAL.join('|')})|[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9A-Za-z*/,-]+ [0-9A-Za-z*/,-]+)$`;

const field = (what: string) =>
  Type.Optional(
    Type.String({
      pattern: FIELD,
      errorMessage: 'must be one crontab field such as "5", "*/15", "1-5" or "mon"',
      default: '*',
      description: `${what}, as in crontab(5).`,
    }),
  );

/**
 * When and as whom an entry runs, and whether it is there: the fields of a `cron_jobs` entry
 * that other roles' entries share (drush's `drush_cron`), so they take the same values.
 */
export const CRON_SCHEDULE_FIELDS = {
  minute: field('Minute'),
  hour: field('Hour'),
  day: field('Day of the month'),
  month: field('Month'),
  weekday: field('Day of the week (0 or 7 is Sunday)'),
  special_time: Type.Optional(
    Type.Union(
      SPECIAL.map((s) => Type.Literal(s)),
      { description: 'Instead of minute..weekday: @reboot, @daily...' },
    ),
  ),
  user: Type.Optional(
    Type.String({
      pattern: LOGIN,
      errorMessage: LOGIN_MESSAGE,
      default: 'root',
      description: 'Whose crontab.',
    }),
  ),
  state: Type.Optional(
    Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'absent: the entry is removed.',
    }),
  ),
  disabled: Type.Optional(Type.Boolean({ default: false, description: 'Keep the entry, commented out.' })),
};

type CronSchedule = Partial<Record<'minute' | 'hour' | 'day' | 'month' | 'weekday' | 'special_time', string>>;

/** A special time and minute..weekday fields exclude each other: the issue, if any, of entry `index` of `param`. */
export function scheduleIssues(param: string, index: number, entry: CronSchedule): RoleParamIssue[] {
  const fields = (['minute', 'hour', 'day', 'month', 'weekday'] as const).filter(
    (f) => entry[f] !== undefined,
  );
  if (entry.special_time === undefined || fields.length === 0) return [];
  return [
    { path: [param, index, fields[0]!], message: `give special_time or ${fields.join(', ')}, not both` },
  ];
}

const CronJob = Type.Object(
  {
    name: Type.String({
      pattern: ONE_LINE,
      errorMessage: 'must be one line of text',
      description:
        'Unique per user: the entry is found again by this name (a "#Ansible: name" comment line).',
    }),
    job: Type.Optional(
      Type.String({
        pattern: ONE_LINE,
        errorMessage: 'must be one line of text',
        description:
          'The command line (run by /bin/sh; a % ends the command, as in crontab(5)). Required when present.',
      }),
    ),
    minute: CRON_SCHEDULE_FIELDS.minute,
    hour: CRON_SCHEDULE_FIELDS.hour,
    day: CRON_SCHEDULE_FIELDS.day,
    month: CRON_SCHEDULE_FIELDS.month,
    weekday: CRON_SCHEDULE_FIELDS.weekday,
    special_time: CRON_SCHEDULE_FIELDS.special_time,
    user: CRON_SCHEDULE_FIELDS.user,
    environment: Type.Optional(
      Type.Record(
        Type.String(),
        Type.String({ pattern: '^[^\\r\\n]*$', errorMessage: 'must be one line of text' }),
        {
          description:
            "Variables for this job only: `export NAME='value';` before the command (quoted), so the command line sees them too.",
        },
      ),
    ),
    state: CRON_SCHEDULE_FIELDS.state,
    disabled: CRON_SCHEDULE_FIELDS.disabled,
  },
  { additionalProperties: false },
);

const schedule = (what: string, fallback: string) =>
  Type.String({
    pattern: SCHEDULE,
    errorMessage: 'must be five crontab fields ("0 1 * * *"), a special time ("@daily"), or "" for none',
    default: fallback,
    description: `${what}: five crontab fields or @daily-style; "" for none.`,
  });

export const CronParams = Type.Object(
  {
    cron_jobs: Type.Array(CronJob, { default: [], description: "Named entries of users' crontabs." }),
    cron_install: Type.Boolean({
      default: true,
      description: 'Install the cron package and keep its service enabled and running.',
    }),
    cron_backup_enabled: Type.Boolean({
      default: false,
      description:
        'Install the backup script and its schedule (/etc/cron.d/bosun-backup); false removes both (not the backups).',
    }),
    cron_backup_user: Type.String({
      pattern: LOGIN,
      errorMessage: LOGIN_MESSAGE,
      default: 'root',
      description: 'Who runs the backups.',
    }),
    cron_backup_script: Type.String({
      pattern: '^/[A-Za-z0-9_./-]+$',
      errorMessage: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"',
      default: '/usr/local/sbin/bosun-backup',
      description: 'Where the backup script is installed.',
    }),
    cron_backup_dir: Type.String({
      pattern: '^/[A-Za-z0-9_./-]+$',
      errorMessage: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"',
      default: '/var/backups/bosun',
      description: 'Where archives go: <dir>/daily, <dir>/weekly, <dir>/monthly.',
    }),
    cron_backup_sources: Type.Array(
      Type.String({ pattern: '^/[^\\r\\n]*$', errorMessage: 'must be an absolute path' }),
      {
        minItems: 1,
        default: ['/etc'],
        description: 'Absolute paths archived (tar.gz, stored relative to /).',
      },
    ),
    cron_backup_pre_command: Type.String({
      pattern: '^[^\\r\\n]*$',
      errorMessage: 'must be one line of text',
      default: '',
      description:
        'Shell command run before each archive (a database dump into a source folder, say); "" for none.',
    }),
    cron_backup_daily: schedule('Daily backups', '0 1 * * *'),
    cron_backup_weekly: schedule('Weekly backups', '0 2 * * 7'),
    cron_backup_monthly: schedule('Monthly backups', '0 3 1 * *'),
    cron_backup_cleanup: schedule('Clean-up of old files', '0 1 * * *'),
    cron_backup_retention: Type.String({
      pattern: '^[1-9][0-9]* (?:day|week|month|year)s?$',
      errorMessage: 'must be a number and a unit: "90 days", "12 weeks", "3 months", "1 year"',
      default: '3 months',
      description: 'Files of the backup folder older than this are deleted by the clean-up (e.g. "90 days").',
    }),
  },
  { additionalProperties: false },
);
export type CronParams = Static<typeof CronParams>;

export function checkCron(params: Partial<CronParams>): RoleParamIssue[] {
  const issues: RoleParamIssue[] = [];
  const seen = new Map<string, number>();
  for (const [index, job] of (params.cron_jobs ?? []).entries()) {
    const key = `${job.user ?? 'root'}\n${job.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        path: ['cron_jobs', index, 'name'],
        message: `"${job.name}" is already the name of cron_jobs[${first}] for user ${job.user ?? 'root'}`,
      });
    }
    seen.set(key, index);
    if ((job.state ?? 'present') === 'present' && job.job === undefined) {
      issues.push({
        path: ['cron_jobs', index],
        message: `job "${job.name}" needs a "job" (the command) to be present`,
      });
    }
    for (const name of Object.keys(job.environment ?? {})) {
      if (!ENV_NAME.test(name)) {
        issues.push({
          path: ['cron_jobs', index, 'environment', name],
          target: 'key',
          message: `"${name}" is not a variable name (letters, digits and "_", not starting with a digit)`,
        });
      }
    }
    issues.push(...scheduleIssues('cron_jobs', index, job));
  }
  return issues;
}

const JOB_LINE =
  '{{#if (defined item.environment)}}{{#each item.environment}}export {{ @key }}={{ quote this }}; {{/each}}{{/if}}{{ default item.job "" }}';

/**
 * The two tasks writing a list of entries with the cron module, one for those with a schedule
 * and one for those at a special time: `loop` is the list, `entry` the name, command line and
 * user of its `item` (templates), the other fields are the item's CRON_SCHEDULE_FIELDS.
 */
export function cronEntryTasks(
  names: { scheduled: string; special: string },
  loop: string,
  entry: { name: string; job: string; user: string },
  extra: Record<string, unknown> = {},
): TaskInput[] {
  const common = {
    ...entry,
    state: '{{ default item.state "present" }}',
    disabled: '{{ default item.disabled false }}',
  };
  return [
    {
      name: names.scheduled,
      cron: {
        ...common,
        minute: '{{ default item.minute "*" }}',
        hour: '{{ default item.hour "*" }}',
        day: '{{ default item.day "*" }}',
        month: '{{ default item.month "*" }}',
        weekday: '{{ default item.weekday "*" }}',
      },
      loop,
      when: 'not (defined item.special_time)',
      ...extra,
    },
    {
      name: names.special,
      cron: { ...common, special_time: '{{ item.special_time }}' },
      loop,
      when: 'defined item.special_time',
      ...extra,
    },
  ];
}
const BACKUP_CRON = '/etc/cron.d/bosun-backup';

export default defineRole({
  name: 'cron',
  description: [
    "Scheduled jobs. `cron_jobs` are named entries of users' crontabs (a schedule or a special time,",
    'a user, variables for the job, present or absent). `cron_backup_*` installs the backup job operators',
    'run: a script archiving `cron_backup_sources` into `cron_backup_dir` on daily, weekly and monthly',
    'schedules, and a daily clean-up of files older than `cron_backup_retention` (3 months by default),',
    'all in /etc/cron.d/bosun-backup. Run by hand: `bosun-backup daily`, `bosun-backup clean`.',
  ].join('\n'),
  schema: CronParams,
  check: (params) => checkCron(params as Partial<CronParams>),
  tasks: [
    {
      name: 'cron installed',
      apt: { name: 'cron', state: 'present', update_cache: true, cache_valid_time: 3600 },
      register: 'cron_package',
      when: 'cron_install',
    },
    {
      name: 'cron running',
      service: { name: 'cron', state: 'started', enabled: true },
      when: 'cron_install',
    },
    ...cronEntryTasks(
      { scheduled: 'scheduled entries', special: 'entries at special times' },
      '{{ cron_jobs }}',
      {
        name: '{{ item.name }}',
        job: JOB_LINE,
        user: '{{ default item.user "root" }}',
      },
    ),
    {
      name: 'backup folder',
      file: {
        path: '{{ cron_backup_dir }}',
        state: 'directory',
        owner: '{{ cron_backup_user }}',
        mode: '0700',
      },
      when: 'cron_backup_enabled',
    },
    {
      name: 'backup script',
      template: {
        src: 'backup.sh.hbs',
        dest: '{{ cron_backup_script }}',
        owner: 'root',
        group: 'root',
        mode: '0755',
      },
      when: 'cron_backup_enabled',
    },
    {
      name: 'backup schedule',
      template: { src: 'backup.cron.hbs', dest: BACKUP_CRON, owner: 'root', group: 'root', mode: '0644' },
      when: 'cron_backup_enabled',
    },
    {
      name: 'backup schedule removed',
      file: { path: BACKUP_CRON, state: 'absent' },
      when: 'not cron_backup_enabled',
    },
    {
      name: 'backup script removed',
      file: { path: '{{ cron_backup_script }}', state: 'absent' },
      when: 'not cron_backup_enabled',
    },
  ],
});

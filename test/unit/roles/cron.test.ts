import { describe, expect, it } from 'vitest';
import { checkCron } from '../../../roles/cron/index.js';
import { loadWithParams, paramsError } from './role-params.js';

describe('role cron: parameters', () => {
  it("has the operators' backup schedule as defaults", async () => {
    const playbook = await loadWithParams('cron', '{}');
    expect(playbook.plays[0]!.roles[0]!.role.defaults).toEqual({
      cron_jobs: [],
      cron_install: true,
      cron_backup_enabled: false,
      cron_backup_user: 'root',
      cron_backup_script: '/usr/local/sbin/bosun-backup',
      cron_backup_dir: '/var/backups/bosun',
      cron_backup_sources: ['/etc'],
      cron_backup_pre_command: '',
      cron_backup_daily: '0 1 * * *',
      cron_backup_weekly: '0 2 * * 7',
      cron_backup_monthly: '0 3 1 * *',
      cron_backup_cleanup: '0 1 * * *',
      cron_backup_retention: '3 months',
    });
  });

  it('accepts jobs with schedules, special times, variables and absent ones', async () => {
    const params = [
      'cron_jobs:',
      '  - {name: report, job: /usr/local/bin/report, minute: "*/15", hour: "8-18", weekday: mon-fri}',
      '  - {name: boot, job: "date > /var/tmp/boot", special_time: reboot, environment: {TZ: UTC}, user: app}',
      '  - {name: old, state: absent}',
      'cron_backup_enabled: true',
      'cron_backup_weekly: ""',
      'cron_backup_monthly: "@monthly"',
      'cron_backup_retention: 90 days',
    ].join('\n');
    await expect(loadWithParams('cron', params)).resolves.toBeDefined();
  });

  it.each([
    [
      'two jobs of one user with one name',
      'cron_jobs: [{name: a, job: x, minute: "5"}, {name: a, job: y}]',
      'playbook.yml:5:60: [0].roles[0].params.cron_jobs[1].name: "a" is already the name of cron_jobs[0] for user root',
    ],
    [
      'a present job without a command',
      'cron_jobs: [{name: a}]',
      'playbook.yml:5:21: [0].roles[0].params.cron_jobs[0]: job "a" needs a "job" (the command) to be present',
    ],
    [
      'a special time and an hour',
      'cron_jobs: [{name: a, job: x, special_time: daily, hour: "2"}]',
      'playbook.yml:5:66: [0].roles[0].params.cron_jobs[0].hour: give special_time or hour, not both',
    ],
    [
      'a special time cron does not know',
      'cron_jobs: [{name: a, job: x, special_time: sometimes}]',
      'playbook.yml:5:53: [0].roles[0].params.cron_jobs[0].special_time: must be one of: "reboot", "yearly", "annually", "monthly", "weekly", "daily", "hourly"',
    ],
    [
      'a whole schedule in the minute field',
      'cron_jobs: [{name: a, job: x, minute: "5 * * * * rm"}]',
      'playbook.yml:5:47: [0].roles[0].params.cron_jobs[0].minute: must be one crontab field such as "5", "*/15", "1-5" or "mon"',
    ],
    [
      'a job on two lines',
      'cron_jobs: [{name: a, job: "x\\ny"}]',
      'playbook.yml:5:36: [0].roles[0].params.cron_jobs[0].job: must be one line of text',
    ],
    [
      'a variable name with a space',
      'cron_jobs: [{name: a, job: x, environment: {"BAD NAME": x}}]',
      'playbook.yml:5:53: [0].roles[0].params.cron_jobs[0].environment["BAD NAME"]: "BAD NAME" is not a variable name (letters, digits and "_", not starting with a digit)',
    ],
    [
      'a retention in moons',
      'cron_backup_retention: 3 moons',
      'playbook.yml:5:32: [0].roles[0].params.cron_backup_retention: must be a number and a unit: "90 days", "12 weeks", "3 months", "1 year"',
    ],
    [
      'a schedule of four fields',
      'cron_backup_daily: "0 1 * *"',
      'playbook.yml:5:28: [0].roles[0].params.cron_backup_daily: must be five crontab fields ("0 1 * * *"), a special time ("@daily"), or "" for none',
    ],
    [
      'a relative backup source',
      'cron_backup_sources: [var/www]',
      'playbook.yml:5:31: [0].roles[0].params.cron_backup_sources[0]: must be an absolute path',
    ],
    [
      'a backup folder with a space',
      'cron_backup_dir: "/var/my backups"',
      'playbook.yml:5:26: [0].roles[0].params.cron_backup_dir: must be an absolute path of letters, digits, "_", ".", "-" and "/"',
    ],
    [
      'a backup user that is not a login',
      'cron_backup_user: "root; reboot"',
      'playbook.yml:5:27: [0].roles[0].params.cron_backup_user: must be a login (lower-case letters, digits, "_" and "-", not starting with a digit)',
    ],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('cron', params)).toBe(message);
  });

  it('checkCron tells jobs of different users apart', () => {
    expect(
      checkCron({
        cron_jobs: [
          { name: 'a', job: 'x' },
          { name: 'a', job: 'x', user: 'app' },
        ],
      }),
    ).toEqual([]);
  });
});

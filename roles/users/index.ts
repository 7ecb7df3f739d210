/**
 * Accounts of people, per environment: who exists (`users_state`) and who may act as root
 * (`users_enabled_as_root`), from one catalogue of people (`users`), as operators keep it in
 * `vars/<ENV>/vars.yml`. The account this run connects as is never removed nor deprived of
 * sudo, whatever the maps say: the run would lock itself out.
 */
import { type Static, Type } from '@sinclair/typebox';
import { defineRole, type RoleParamIssue } from '../../src/model/role.js';

const LOGIN = /^[a-z_][a-z0-9_-]{0,31}$/;
const LOGIN_RULE = 'lower-case letters, digits, "_" and "-", at most 32, not starting with a digit or "-"';
const State = Type.Union([Type.Literal('present'), Type.Literal('absent')]);
const SSH_KEY =
  '^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\\.com) [A-Za-z0-9+/]+={0,3}(?: [^\\r\\n]*)?$';

/** A crypt(3) hash; `secret`: redacted from every output of a run (src/vars/secret-fields.ts). */
const PasswordHash = (description: string) =>
  Type.String({
    secret: true,
    pattern: '^(?:\\$[^\\s:]+|[!*][^\\s:]*)$',
    errorMessage:
      'must be a password hash ("$6$..." from mkpasswd -m sha-512) or "!" (locked), never the password itself',
    description,
  });

const Account = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      // useradd refuses control characters (a tab too) in /etc/passwd fields.
      pattern: '^[^:\\x00-\\x1f\\x7f]*$',
      errorMessage: 'must not contain ":", line breaks, tabs or other control characters',
      description: 'Full name (the GECOS comment).',
    }),
    uid: Type.Integer({
      minimum: 1000,
      maximum: 60000,
      description: 'User id, the same on every host; the login group gets the same number as gid.',
    }),
    groups: Type.Array(
      Type.String({ pattern: LOGIN.source, errorMessage: `must be a group name (${LOGIN_RULE})` }),
      {
        description: 'Supplementary groups, created when missing; the account leaves groups not listed.',
      },
    ),
    ssh_keys: Type.Array(
      Type.String({
        pattern: SSH_KEY,
        errorMessage:
          'must be one public key line: type, key and an optional comment ("ssh-ed25519 AAAA... ann@laptop")',
      }),
      {
        minItems: 1,
        errorMessage: 'must list at least one public key (a login without a key cannot be reached)',
        description: 'Public keys, one line each; authorized_keys holds exactly these (others are removed).',
      },
    ),
    shell: Type.Optional(
      Type.String({
        pattern: '^/[^\\s:\\x00-\\x1f\\x7f]*$',
        errorMessage: 'must be an absolute path',
        default: '/bin/bash',
        description: 'Login shell.',
      }),
    ),
    home: Type.Optional(
      Type.String({
        pattern: '^/[^\\s:\\x00-\\x1f\\x7f]*$',
        errorMessage: 'must be an absolute path',
        description: 'Home folder; default /home/<login>.',
      }),
    ),
    password: Type.Optional(
      PasswordHash(
        'Password hash in crypt(3) form (mkpasswd -m sha-512), or "!" to lock the password; without it (and without users_password_hashes) the password is left as it is.',
      ),
    ),
  },
  { additionalProperties: false },
);

const StateMap = (what: string) => Type.Record(Type.String(), State, { default: {}, description: what });

export const UsersParams = Type.Object(
  {
    users: Type.Record(Type.String(), Account, {
      default: {},
      description:
        'Everyone who may have an account, by login (lower-case letters, digits, "_", "-"). Only logins in users_state are acted upon.',
    }),
    users_state: StateMap(
      'login: present | absent. present: account, groups, home and authorized_keys; absent: sessions ended, sudo drop-in, account and home removed.',
    ),
    users_enabled_as_root: StateMap(
      'login: present | absent. present: a sudoers.d drop-in (checked with visudo -cf before it is installed); absent: the drop-in is removed.',
    ),
    users_password_hashes: Type.Record(
      Type.String(),
      PasswordHash('Password hash of the login, for this environment: wins over the password in users.'),
      {
        default: {},
        description:
          'login: password hash, kept apart from users in an encrypted vars file per environment (vars/<ENV>/secrets.yml).',
      },
    ),
    users_sudo_nopasswd: Type.Boolean({
      default: true,
      description: 'Users enabled as root use sudo without typing a password (key-only accounts have none).',
    }),
    users_sudoers_prefix: Type.String({
      pattern: '^[A-Za-z0-9_-]+$',
      errorMessage: 'must be letters, digits, "_" and "-" (sudo skips drop-ins whose name has a dot)',
      default: 'bosun-user-',
      description: 'Name of the drop-in: /etc/sudoers.d/<prefix><login> (sudo skips names with a dot).',
    }),
  },
  { additionalProperties: false },
);
export type UsersParams = Static<typeof UsersParams>;

/** Logins are valid and those of the state maps are people of `users`; uids are not shared. */
export function checkUsers(params: Partial<UsersParams>): RoleParamIssue[] {
  const issues: RoleParamIssue[] = [];
  for (const map of ['users', 'users_state', 'users_enabled_as_root', 'users_password_hashes'] as const) {
    for (const login of Object.keys(params[map] ?? {})) {
      if (!LOGIN.test(login)) {
        issues.push({
          path: [map, login],
          target: 'key',
          message: `"${login}" is not a login (${LOGIN_RULE})`,
        });
      }
    }
  }
  const users = params.users;
  if (users === undefined) return issues;
  for (const map of ['users_state', 'users_enabled_as_root', 'users_password_hashes'] as const) {
    for (const login of Object.keys(params[map] ?? {})) {
      if (!Object.hasOwn(users, login)) {
        issues.push({
          path: [map, login],
          target: 'key',
          message: `user "${login}" is not defined in users`,
        });
      }
    }
  }
  const byUid = new Map<number, string>();
  for (const [login, account] of Object.entries(users)) {
    const other = byUid.get(account.uid);
    if (other !== undefined) {
      issues.push({
        path: ['users', login, 'uid'],
        message: `uid ${account.uid} is also the uid of "${other}"`,
      });
    }
    byUid.set(account.uid, login);
  }
  return issues;
}

// Conditions on a loop over `dict2items users_state` (item.key: login, item.value: state).
const STATE_OF = '(default (lookup users_state item.key) "unmanaged")';
const NOT_ME = 'ne item.key bosun_connection_user';
/** The account of the login being looped on, and its home. */
const ACCOUNT_VARS = {
  account: '{{ lookup users item.key }}',
  home: '{{#if (defined account.home)}}{{ account.home }}{{else}}/home/{{ item.key }}{{/if}}',
};
const SUDOERS = '/etc/sudoers.d/{{ users_sudoers_prefix }}{{ item.key }}';

export default defineRole({
  name: 'users',
  description: [
    "People's accounts per environment, from one catalogue (`users`) and two maps per environment",
    '(`users_state`, `users_enabled_as_root`), as in `vars/STG/vars.yml`. A login of the maps missing',
    'from `users` is an error before any host is touched. The user this run connects as',
    '(`bosun_connection_user`) is never removed, never loses its sudo drop-in, keeps its',
    'authorized_keys and its other groups: the role says so and skips.',
  ].join('\n'),
  schema: UsersParams,
  check: (params) => checkUsers(params as Partial<UsersParams>),
  tasks: [
    {
      name: 'logins of users_state are defined in users',
      assert: {
        that: 'defined (lookup users item.key)',
        fail_msg: 'users_state: user "{{ item.key }}" is not defined in users',
      },
      loop: '{{ dict2items users_state }}',
    },
    {
      name: 'logins of users_enabled_as_root are defined in users',
      assert: {
        that: 'defined (lookup users item.key)',
        fail_msg: 'users_enabled_as_root: user "{{ item.key }}" is not defined in users',
      },
      loop: '{{ dict2items users_enabled_as_root }}',
    },
    {
      name: 'the connecting user is kept',
      debug: {
        msg: 'users: not removing {{ bosun_connection_user }} nor its sudo rights: this run connects as {{ bosun_connection_user }}',
      },
      when: [
        'or (eq (default (lookup users_state bosun_connection_user) "") "absent") (eq (default (lookup users_enabled_as_root bosun_connection_user) "") "absent")',
      ],
    },
    {
      name: 'the connecting user keeps its keys and groups',
      debug: {
        msg: 'users: this run connects as {{ bosun_connection_user }}: its authorized_keys are left as they are and it keeps the groups users does not list',
      },
      when: 'eq (default (lookup users_state bosun_connection_user) "") "present"',
    },
    {
      name: 'login groups',
      group: { name: '{{ item.key }}', gid: '{{ account.uid }}', state: 'present' },
      vars: ACCOUNT_VARS,
      loop: '{{ dict2items users_state }}',
      when: 'eq item.value "present"',
    },
    {
      name: 'supplementary groups',
      group: { name: '{{ item.[1] }}', state: 'present' },
      loop: '{{ subelements (dict2items users) "value.groups" }}',
      when: 'eq (default (lookup users_state item.0.key) "unmanaged") "present"',
    },
    {
      name: 'accounts',
      user: {
        name: '{{ item.key }}',
        uid: '{{ account.uid }}',
        group: '{{ item.key }}',
        groups: '{{ account.groups }}',
        // Leaving a group could take the sudo rights of the account this run connects as.
        append: '{{ eq item.key bosun_connection_user }}',
        comment: '{{ account.name }}',
        shell: '{{ default account.shell "/bin/bash" }}',
        home: '{{ home }}',
        create_home: true,
        state: 'present',
      },
      vars: ACCOUNT_VARS,
      loop: '{{ dict2items users_state }}',
      when: 'eq item.value "present"',
    },
    {
      name: 'passwords',
      user: {
        name: '{{ item.key }}',
        password: '{{ default (lookup users_password_hashes item.key) account.password }}',
      },
      vars: ACCOUNT_VARS,
      loop: '{{ dict2items users_state }}',
      when: 'and (eq item.value "present") (or (defined account.password) (defined (lookup users_password_hashes item.key)))',
      no_log: true,
    },
    {
      name: 'authorized keys (exactly those listed)',
      authorized_key: {
        user: '{{ item.key }}',
        key: '{{ join account.ssh_keys "\n" }}',
        exclusive: true,
        manage_dir: true,
      },
      vars: ACCOUNT_VARS,
      loop: '{{ dict2items users_state }}',
      when: ['eq item.value "present"', NOT_ME],
    },
    {
      name: 'sudo rights',
      copy: {
        content:
          '# Managed by bosun (role users): {{ item.key }} is enabled as root.\n{{ item.key }} ALL=(ALL:ALL) {{#if users_sudo_nopasswd}}NOPASSWD: {{/if}}ALL\n',
        dest: SUDOERS,
        owner: 'root',
        group: 'root',
        mode: '0440',
        validate: 'visudo -cf %s',
      },
      loop: '{{ dict2items users_enabled_as_root }}',
      when: ['eq item.value "present"', `ne ${STATE_OF} "absent"`],
    },
    {
      name: 'sudo rights withdrawn',
      file: { path: SUDOERS, state: 'absent' },
      loop: '{{ dict2items users_enabled_as_root }}',
      // Users removed below lose their drop-in with their account.
      when: ['eq item.value "absent"', `ne ${STATE_OF} "absent"`, NOT_ME],
    },
    {
      name: 'sudo rights of removed users',
      file: { path: SUDOERS, state: 'absent' },
      loop: '{{ dict2items users_state }}',
      when: ['eq item.value "absent"', NOT_ME],
    },
    {
      name: 'sessions of removed users ended',
      shell: {
        cmd: 'if id -u -- {{ quote item.key }} >/dev/null 2>&1 && pkill -KILL -u {{ quote item.key }}; then echo ended; fi',
      },
      register: 'users_sessions',
      changed_when: 'eq users_sessions.stdout "ended"',
      loop: '{{ dict2items users_state }}',
      when: ['eq item.value "absent"', NOT_ME],
    },
    {
      name: 'removed accounts',
      user: { name: '{{ item.key }}', state: 'absent', remove: true, force: true },
      loop: '{{ dict2items users_state }}',
      when: ['eq item.value "absent"', NOT_ME],
    },
  ],
});

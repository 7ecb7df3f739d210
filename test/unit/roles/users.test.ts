import { describe, expect, it } from 'vitest';
import { checkUsers } from '../../../roles/users/index.js';
import { packageRolesDir, RoleLoader, roleValueIssues } from '../../../src/model/role-loader.js';
import { registryCatalog } from '../../../src/model/task-modules.js';
import { loadWithParams, paramsError } from './role-params.js';

const ANN = '{name: Ann, uid: 1300, groups: [devs], ssh_keys: ["ssh-ed25519 AAAAC3Nz ann@laptop"]}';
const BOB = '{name: Bob, uid: 1301, groups: [], ssh_keys: ["ssh-ed25519 AAAAC3Nz bob@laptop"]}';

describe('role users: parameters', () => {
  it("accepts the operators' shape and fills the defaults", async () => {
    const playbook = await loadWithParams(
      'users',
      `users: {ann: ${ANN}, bob: ${BOB}}\nusers_state: {ann: present, bob: absent}\nusers_enabled_as_root: {ann: present}`,
    );
    const [use] = playbook.plays[0]!.roles;
    expect(use!.role.defaults).toMatchObject({
      users: {},
      users_state: {},
      users_enabled_as_root: {},
      users_sudo_nopasswd: true,
      users_sudoers_prefix: 'bosun-user-',
    });
  });

  it('leaves the cross-checks of values known per host (templates) to the run', async () => {
    await expect(loadWithParams('users', 'users_state: "{{ states }}"')).resolves.toBeDefined();
  });

  it.each([
    [
      'a login of users_state missing from users',
      `users: {ann: ${ANN}}\nusers_state: {ann: present, ghost: present}`,
      'playbook.yml:6:37: [0].roles[0].params.users_state.ghost: user "ghost" is not defined in users',
    ],
    [
      'an absent login missing from users',
      'users_state: {ghost: absent}',
      'playbook.yml:5:23: [0].roles[0].params.users_state.ghost: user "ghost" is not defined in users',
    ],
    [
      'a login of users_enabled_as_root missing from users',
      `users: {ann: ${ANN}}\nusers_enabled_as_root: {bob: present}`,
      'playbook.yml:6:33: [0].roles[0].params.users_enabled_as_root.bob: user "bob" is not defined in users',
    ],
    [
      'a state that is neither present nor absent',
      `users: {ann: ${ANN}}\nusers_state: {ann: enabled}`,
      'playbook.yml:6:28: [0].roles[0].params.users_state.ann: must be one of: "present", "absent"',
    ],
    [
      'a login that is not one',
      `users: {Ann: ${ANN}}`,
      'playbook.yml:5:17: [0].roles[0].params.users.Ann: "Ann" is not a login (lower-case letters, digits, "_" and "-", at most 32, not starting with a digit or "-")',
    ],
    [
      'two people with one uid',
      `users: {ann: ${ANN}, bob: {name: Bob, uid: 1300, groups: [], ssh_keys: ["ssh-ed25519 AAAA bob"]}}`,
      'playbook.yml:5:131: [0].roles[0].params.users.bob.uid: uid 1300 is also the uid of "ann"',
    ],
    [
      'a uid of the system range',
      'users: {ann: {name: Ann, uid: 33, groups: [], ssh_keys: ["ssh-ed25519 AAAA ann"]}}',
      'playbook.yml:5:39: [0].roles[0].params.users.ann.uid: must be >= 1000',
    ],
    [
      'a person without a key',
      'users: {ann: {name: Ann, uid: 1300, groups: [], ssh_keys: []}}',
      'playbook.yml:5:67: [0].roles[0].params.users.ann.ssh_keys: must list at least one public key (a login without a key cannot be reached)',
    ],
    [
      'two keys in one line',
      'users: {ann: {name: Ann, uid: 1300, groups: [], ssh_keys: ["ssh-ed25519 AAAA\\nssh-rsa BBBB"]}}',
      'playbook.yml:5:68: [0].roles[0].params.users.ann.ssh_keys[0]: must be one public key line: type, key and an optional comment ("ssh-ed25519 AAAA... ann@laptop")',
    ],
    [
      'a clear-text password',
      'users: {ann: {name: Ann, uid: 1300, groups: [], ssh_keys: ["ssh-ed25519 AAAA"], password: hunter2}}',
      'playbook.yml:5:99: [0].roles[0].params.users.ann.password: must be a password hash ("$6$..." from mkpasswd -m sha-512) or "!" (locked), never the password itself',
    ],
    [
      'a mistyped field',
      'users: {ann: {name: Ann, uid: 1300, groups: [], ssh_keys: ["ssh-ed25519 AAAA"], shel: /bin/sh}}',
      'playbook.yml:5:89: [0].roles[0].params.users.ann.shel: unknown key; expected one of: name, uid, groups, ssh_keys, shell, home, password',
    ],
    [
      'a missing name',
      'users: {ann: {uid: 1300, groups: [], ssh_keys: ["ssh-ed25519 AAAA"]}}',
      'playbook.yml:5:22: [0].roles[0].params.users.ann: missing key "name"',
    ],
    [
      'a group name with a colon',
      'users: {ann: {name: Ann, uid: 1300, groups: ["a:b"], ssh_keys: ["ssh-ed25519 AAAA"]}}',
      'playbook.yml:5:54: [0].roles[0].params.users.ann.groups[0]: must be a group name (lower-case letters, digits, "_" and "-", at most 32, not starting with a digit or "-")',
    ],
    [
      'a mistyped parameter',
      'user_state: {}',
      'playbook.yml:5:9: [0].roles[0].params.user_state: unknown parameter "user_state" of role "users"; did you mean "users_state"?',
    ],
    [
      'a drop-in prefix with a dot (sudo would skip the file)',
      'users_sudoers_prefix: bosun.',
      'playbook.yml:5:31: [0].roles[0].params.users_sudoers_prefix: must be letters, digits, "_" and "-" (sudo skips drop-ins whose name has a dot)',
    ],
  ])('refuses %s', async (_what, params, message) => {
    expect(await paramsError('users', params)).toBe(message);
  });
});

describe('role users: values from vars files and -e (checked per host by the engine)', () => {
  it('reports the login missing from users with a path from the parameter', async () => {
    const role = await new RoleLoader({ searchPath: [packageRolesDir()], catalog: registryCatalog }).load(
      'users',
    );
    const values = { ...role.defaults, users_state: { ghost: 'present' } };
    expect(roleValueIssues(role, values)).toEqual([
      { path: ['users_state', 'ghost'], target: 'key', message: 'user "ghost" is not defined in users' },
    ]);
    expect(roleValueIssues(role, { ...role.defaults, users_state: { ann: 'gone' } })).toEqual([
      { path: ['users_state', 'ann'], target: 'value', message: 'must be one of: "present", "absent"' },
    ]);
    expect(roleValueIssues(role, role.defaults)).toEqual([]);
  });

  it('checkUsers lets a missing users map pass (only known per host)', () => {
    expect(checkUsers({ users_state: { ghost: 'present' } })).toEqual([]);
  });
});

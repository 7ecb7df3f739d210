import { describe, expect, it } from 'vitest';
import { HOST_KEYS_MARKER, nodeSetupScript, parseHostKeys } from '../../../src/lab/node-setup.js';

const keys = [
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA bosun@f',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB other@f',
];

describe('nodeSetupScript', () => {
  it('authorises both keys, sets sudo rules and the password through here-documents', () => {
    const script = nodeSetupScript({ authorizedKeys: keys, password: 'Abc_12-x', bastion: false });
    expect(script).toContain(`BOSUN_KEYS'\n${keys[0]}\n${keys[1]}\nBOSUN_KEYS\n`);
    expect(script).toContain("sudoers bosun 'bosun ALL=(ALL) NOPASSWD:ALL'");
    expect(script).toContain("sudoers pwuser 'pwuser ALL=(ALL) ALL'");
    expect(script).toContain("chpasswd <<'BOSUN_PASSWORD'\npwuser:Abc_12-x\nBOSUN_PASSWORD\n");
    expect(script).toContain('visudo -cqf');
    expect(script).not.toContain('allowtcpforwarding');
    expect(script.trimEnd().split('\n').slice(-2)).toEqual([
      `echo '${HOST_KEYS_MARKER}'`,
      'cat /etc/ssh/ssh_host_*_key.pub',
    ]);
  });

  it('checks TCP forwarding on bastions', () => {
    expect(nodeSetupScript({ authorizedKeys: keys, password: 'x', bastion: true })).toContain(
      "grep -qi '^allowtcpforwarding yes'",
    );
  });

  it('refuses values that could break out of a here-document', () => {
    expect(() =>
      nodeSetupScript({ authorizedKeys: keys, password: "a'\nBOSUN_PASSWORD\nrm -rf /", bastion: false }),
    ).toThrow(/base64url/);
    expect(() =>
      nodeSetupScript({
        authorizedKeys: ['ssh-ed25519 AAAAx\nBOSUN_KEYS\nreboot'],
        password: 'x',
        bastion: false,
      }),
    ).toThrow(/not a public key line/);
  });
});

describe('parseHostKeys', () => {
  it('takes the key lines after the marker, without their comments', () => {
    const output = [
      'noise before ssh-ed25519 AAAAnotthis',
      HOST_KEYS_MARKER,
      'ecdsa-sha2-nistp256 AAAAE2VjZHNh root@host1',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@host1',
      'ssh-rsa AAAAB3NzaC1yc2E= root@host1',
      '',
    ].join('\n');
    expect(parseHostKeys(output)).toEqual([
      'ecdsa-sha2-nistp256 AAAAE2VjZHNh',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5',
      'ssh-rsa AAAAB3NzaC1yc2E=',
    ]);
  });

  it('finds nothing without the marker', () => {
    expect(parseHostKeys('ssh-ed25519 AAAA root@x\n')).toEqual([]);
  });
});

#!/usr/bin/env node
// Bosun as a Packer `shell-local` provisioner: runs `bosun ARGS...` from the machine running
// Packer against the build instance, over SSH (through a bastion when one is given), with no
// proxy in between. The template hands over where the instance is, in the environment:
//   BOSUN_PACKER_HOST, BOSUN_PACKER_PORT, BOSUN_PACKER_USER   build.Host, build.Port, build.User
//   BOSUN_PACKER_KEY_FILE                    the key Packer logs in with (Packer 1.6 fills
//                                            build.SSHPrivateKey only for a key it generated)
//   BOSUN_PACKER_BASTION_HOST, _PORT, _USER, _KEY_FILE   optional: the jump host
//   BOSUN_PACKER_GROUPS                      optional: groups of the host, comma separated
//   BOSUN_BIN                                optional: the bosun to run (default: this checkout's)
// The instance is host `image` of a one-host inventory written to a temporary folder. Its host
// key is new with every build, so it is accepted on first sight into a temporary known_hosts
// seeded with ~/.ssh/known_hosts: a bastion already known there is still checked.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const env = process.env;

function required(name) {
  const value = env[name];
  if (!value) {
    process.stderr.write(`bosun-ssh: ${name} is not set: the Packer template passes it (README "Packer")\n`);
    process.exit(4);
  }
  return value;
}

const host = {
  bosun_host: required('BOSUN_PACKER_HOST'),
  bosun_port: Number(required('BOSUN_PACKER_PORT')),
  bosun_user: required('BOSUN_PACKER_USER'),
  bosun_private_key_file: resolve(required('BOSUN_PACKER_KEY_FILE')),
};
if (env.BOSUN_PACKER_BASTION_HOST) {
  host.bosun_bastions = [
    {
      host: env.BOSUN_PACKER_BASTION_HOST,
      port: Number(env.BOSUN_PACKER_BASTION_PORT || 22),
      user: env.BOSUN_PACKER_BASTION_USER || host.bosun_user,
      private_key_file: resolve(env.BOSUN_PACKER_BASTION_KEY_FILE || host.bosun_private_key_file),
    },
  ];
}

const work = mkdtempSync(join(tmpdir(), 'bosun-packer-'));
const knownHosts = join(work, 'known_hosts');
const known = join(homedir(), '.ssh', 'known_hosts');
if (existsSync(known)) copyFileSync(known, knownHosts);
else writeFileSync(knownHosts, '');
host.bosun_known_hosts_file = knownHosts;

const groups = (env.BOSUN_PACKER_GROUPS || '')
  .split(',')
  .map((group) => group.trim())
  .filter(Boolean);
const inventory = {
  all: {
    hosts: { image: host },
    children: Object.fromEntries(groups.map((group) => [group, { hosts: { image: {} } }])),
  },
};
const inventoryFile = join(work, 'packer-build.json');
writeFileSync(inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`);

const args = process.argv.slice(2);
if (args[0] !== 'run' && args[0] !== 'exec') {
  process.stderr.write('bosun-ssh: usage: bosun-ssh.mjs run PLAYBOOK [bosun run options]\n');
  process.exit(4);
}
const bin = env.BOSUN_BIN || join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'bosun.js');
const child = spawn(
  process.execPath,
  [bin, ...args.slice(0, 2), '-i', inventoryFile, '--trust-new-host-keys', ...args.slice(2)],
  { stdio: 'inherit' },
);
// Packer stops a provisioner with SIGINT/SIGTERM: Bosun gets it and stops its commands first.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  rmSync(work, { recursive: true, force: true });
  process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
});

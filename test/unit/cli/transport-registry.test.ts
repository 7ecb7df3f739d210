import { describe, expect, it } from 'vitest';
import { isBosunError } from '../../../src/errors.js';
import { DockerTransport } from '../../../src/transport/docker.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { raw } from '../../../src/transport/quote.js';
import {
  createTransport,
  registeredTransports,
  registerTransport,
  TransportRun,
} from '../../../src/transport/registry.js';
import { SshTransport } from '../../../src/transport/ssh/index.js';
import type { Transport } from '../../../src/transport/types.js';

describe('transport registry', () => {
  it('has ssh, local and docker built in', () => {
    expect(registeredTransports()).toEqual(expect.arrayContaining(['docker', 'local', 'ssh']));
    expect(createTransport({ kind: 'local' })).toBeInstanceOf(LocalTransport);
    const docker = createTransport({ kind: 'docker', container: 'abc' } as never);
    expect(docker).toBeInstanceOf(DockerTransport);
    expect(docker.target).toBe('docker:abc');
    expect(createTransport({ kind: 'ssh', host: 'web1' } as never)).toBeInstanceOf(SshTransport);
  });

  it('refuses an unknown kind with the known ones', () => {
    let error: unknown;
    try {
      createTransport({ kind: 'winrm' });
    } catch (e) {
      error = e;
    }
    expect(isBosunError(error, 'BOSUN_INPUT')).toBe(true);
    expect((error as Error).message).toMatch(
      /^unknown connection type "winrm"; known: .*docker, local, .*ssh/,
    );
  });

  it('accepts new kinds by name', async () => {
    const closed: string[] = [];
    const interrupted: string[] = [];
    const fake = (name: string): Transport => ({
      target: name,
      exec: async () => ({ code: 0, stdout: name, stderr: '', durationMs: 0 }),
      put: async () => {},
      get: async () => Buffer.alloc(0),
      interrupt: async () => {
        interrupted.push(name);
      },
      close: async () => {
        closed.push(name);
      },
    });
    registerTransport<{ kind: string; name?: string }>('fake', (spec) => fake(spec.name ?? 'x'));
    const run = new TransportRun();
    const t = run.transport({ kind: 'fake', name: 'f1' });
    expect((await t.exec(raw('true'))).stdout).toBe('f1');
    run.transport({ kind: 'fake', name: 'f2' });
    await run.interrupt();
    expect(interrupted.sort()).toEqual(['f1', 'f2']);
    await run.close();
    expect(closed.sort()).toEqual(['f1', 'f2']);
    // Closing twice is harmless; using a closed run is a bug.
    await run.close();
    expect(() => run.transport({ kind: 'fake' })).toThrow('transport run used after close');
    expect(() => registerTransport('Bad Name', () => fake('x'))).toThrow('invalid transport name');
  });

  it('gives a run one SSH pool, shared by its transports', async () => {
    const run = new TransportRun();
    expect(run.sshPool()).toBe(run.sshPool());
    expect(run.transport({ kind: 'ssh', host: 'a' } as never)).toBeInstanceOf(SshTransport);
    await run.close();
  });

  it('runs a command through a local transport spec with the become password option', async () => {
    const run = new TransportRun();
    const t = run.transport({ kind: 'local', name: 'here', becomePassword: 'unused' } as never);
    expect((await t.exec(raw('echo ok'))).stdout).toBe('ok\n');
    await run.close();
  });
});

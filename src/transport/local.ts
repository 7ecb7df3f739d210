import { spawnProcess } from './child-process.js';
import { type RemoteProcess, ShellTransport, type ShellTransportOptions } from './shell-transport.js';

/** Runs on this machine: for Bosun running inside an image build (Packer shell provisioner). */
export class LocalTransport extends ShellTransport {
  readonly target = 'localhost';

  protected async open(commandLine: string): Promise<RemoteProcess> {
    return spawnProcess('/bin/sh', ['-c', commandLine], this.target);
  }

  async close(): Promise<void> {}
}

export function createLocalTransport(options: ShellTransportOptions = {}): LocalTransport {
  return new LocalTransport(options);
}

import { spawnProcess } from './child-process.js';
import { type RemoteProcess, ShellTransport, type ShellTransportOptions } from './shell-transport.js';

export interface DockerTransportOptions extends ShellTransportOptions {
  /** Container name or id. */
  container: string;
  /** User inside the container (docker exec --user). */
  user?: string | undefined;
  /** docker CLI to call. */
  dockerBinary?: string | undefined;
}

/** `docker exec` into a running container: for image builds and lab hosts without SSH. */
export class DockerTransport extends ShellTransport {
  readonly target: string;
  private readonly container: string;
  private readonly user: string | undefined;
  private readonly docker: string;

  constructor(options: DockerTransportOptions) {
    super(options);
    this.container = options.container;
    this.user = options.user;
    this.docker = options.dockerBinary ?? 'docker';
    this.target = `docker:${options.container}`;
  }

  protected async open(commandLine: string): Promise<RemoteProcess> {
    const args = ['exec', '-i'];
    if (this.user) args.push('--user', this.user);
    args.push(this.container, '/bin/sh', '-c', commandLine);
    return spawnProcess(this.docker, args, this.target);
  }

  async close(): Promise<void> {}
}

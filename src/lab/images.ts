import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BosunError } from '../errors.js';
import { packageRoot } from '../paths.js';

export interface LabImages {
  sshdImage: string;
  systemdImage: string;
}

/** The image scripts live in src/lab/images and ship in the package as such. */
export function imagesDir(): string {
  return join(packageRoot(), 'src', 'lab', 'images');
}

/** The KEY=VALUE lines build.sh prints on stdout; other lines are ignored. */
export function parseBuildOutput(stdout: string): LabImages {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^(BOSUN_[A-Z_]+)=(\S+)\s*$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  const sshdImage = values.get('BOSUN_SSHD_IMAGE');
  const systemdImage = values.get('BOSUN_SYSTEMD_IMAGE');
  if (!sshdImage || !systemdImage) {
    throw new BosunError(
      'BOSUN_LAB',
      `the lab image build did not name its images (expected BOSUN_SSHD_IMAGE= and BOSUN_SYSTEMD_IMAGE= lines, got: ${JSON.stringify(stdout.slice(0, 300))})`,
    );
  }
  return { sshdImage, systemdImage };
}

function runScript(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // stderr is inherited: the scripts report progress there (installing docker, building).
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.once('error', (error) =>
      reject(new BosunError('BOSUN_LAB', `cannot run ${script}: ${error.message}`, { cause: error })),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new BosunError('BOSUN_LAB', `${script} failed with exit code ${code}; see the messages above`),
        );
    });
  });
}

let pending: Promise<LabImages> | undefined;

/**
 * Make sure Docker runs and the lab images exist (building them when their recipe changed), once
 * per process. When BOSUN_SSHD_IMAGE and BOSUN_SYSTEMD_IMAGE are set (the test global setup sets
 * them), they are trusted and nothing is run.
 */
export function ensureImages(): Promise<LabImages> {
  const sshdImage = process.env.BOSUN_SSHD_IMAGE;
  const systemdImage = process.env.BOSUN_SYSTEMD_IMAGE;
  if (sshdImage && systemdImage) return Promise.resolve({ sshdImage, systemdImage });
  pending ??= (async () => {
    const dir = imagesDir();
    if (!existsSync(join(dir, 'build.sh'))) {
      throw new BosunError('BOSUN_LAB', `lab image recipes not found in ${dir}; is the package complete?`);
    }
    await runScript(join(dir, 'ensure-docker.sh'));
    return parseBuildOutput(await runScript(join(dir, 'build.sh')));
  })();
  // A failed attempt is not cached: the next call may succeed (e.g. after dockerd was started).
  pending.catch(() => {
    pending = undefined;
  });
  return pending;
}

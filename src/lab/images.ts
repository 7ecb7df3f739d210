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

/** A script of src/lab/images, checked to be there (a partial package install lacks them). */
function imageScript(name: string): string {
  const path = join(imagesDir(), name);
  if (!existsSync(path)) {
    throw new BosunError('BOSUN_LAB', `${path} not found; is the package complete?`);
  }
  return path;
}

interface ScriptFailure {
  code: 'BOSUN_LAB' | 'BOSUN_DOCKER';
  /** What the failure means to the user; the script's own message precedes it on stderr. */
  meaning?: string;
}

function runScript(script: string, failure: ScriptFailure = { code: 'BOSUN_LAB' }): Promise<string> {
  return new Promise((resolve, reject) => {
    // stderr is inherited: the scripts report progress there (installing docker, building).
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.once('error', (error) =>
      reject(new BosunError(failure.code, `cannot run ${script}: ${error.message}`, { cause: error })),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else {
        const meaning = failure.meaning ? `${failure.meaning}: ` : '';
        reject(
          new BosunError(
            failure.code,
            `${meaning}${script} failed with exit code ${code}; see the messages above`,
          ),
        );
      }
    });
  });
}

/** Once per process; a failed attempt is not kept, so a later call may succeed. */
function once<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = run();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

/**
 * Make sure a Docker engine answers, through ensure-docker.sh (as root it installs docker.io and
 * debootstrap when missing and starts dockerd; otherwise it says what is missing). Every
 * `bosun lab` verb calls this before it asks Docker anything, so a machine whose engine is not
 * running gets it started instead of a "cannot list Docker objects" error.
 */
export const ensureEngine: () => Promise<void> = once(async () => {
  await runScript(imageScript('ensure-docker.sh'), {
    code: 'BOSUN_DOCKER',
    meaning: 'no Docker engine to use',
  });
});

const buildImages = once(async () => {
  await ensureEngine();
  return parseBuildOutput(await runScript(imageScript('build.sh')));
});

/**
 * Make sure Docker runs and the lab images exist (building them when their recipe changed), once
 * per process. When BOSUN_SSHD_IMAGE and BOSUN_SYSTEMD_IMAGE are set (the test global setup sets
 * them), they are trusted and nothing is run.
 */
export function ensureImages(): Promise<LabImages> {
  const sshdImage = process.env.BOSUN_SSHD_IMAGE;
  const systemdImage = process.env.BOSUN_SYSTEMD_IMAGE;
  if (sshdImage && systemdImage) return Promise.resolve({ sshdImage, systemdImage });
  return buildImages();
}

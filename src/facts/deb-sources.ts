/**
 * The files apt_repository manages (a sources file in /etc/apt/sources.list.d and a keyring in
 * /etc/apt/keyrings), read by one script: each one's sha256 and, for the small text ones, the
 * content for diffs; whether /etc/apt/keyrings exists; and a key fetched from a URL on the host
 * (so the plan knows the exact bytes it would write).
 */
import { moduleFailure } from '../modules/failure.js';
import { type RawShell, raw, sh } from '../transport/quote.js';
import type { ExecResult } from '../transport/types.js';
import { downloadLines } from './deb-packages.js';
import { parseReport, single } from './report.js';

export const KEYRINGS_DIR = '/etc/apt/keyrings';
/** Content is read up to this size (sources files are a few lines). */
export const TEXT_LIMIT = 65536;

export interface ManagedFile {
  /** Key in the report and in the facts. */
  key: string;
  path: string;
  /** Read the content too (base64 in the report). */
  text?: boolean;
}

export interface FileFacts {
  path: string;
  /** Not a regular file (a folder, a link to nothing...). */
  other?: boolean;
  sha256?: string;
  text?: string;
}

export interface DebSourcesFacts {
  keyringsDir: boolean;
  /** By key; absent keys: nothing at that path. */
  files: Record<string, FileFacts>;
  /** The key fetched from key_url, base64. */
  downloadedKey?: string;
}

const KEY_FAILED = 4;

export function debSourcesScript(files: ManagedFile[], keyUrl?: string): RawShell {
  const lines: RawShell[] = [raw('export LC_ALL=C'), sh`[ -d ${KEYRINGS_DIR} ] || echo keyrings=0`];
  for (const file of files) {
    lines.push(
      sh`p=${file.path}`,
      sh`if [ -f "$p" ]; then h=$(sha256sum < "$p") || exit 1; echo ${`sha.${file.key}`}="\${h%% *}"`,
    );
    if (file.text) {
      lines.push(
        sh`  if [ "$(wc -c < "$p")" -le ${TEXT_LIMIT} ]; then echo ${`text.${file.key}`}="$(base64 -w0 < "$p")"; fi`,
      );
    }
    lines.push(sh`elif [ -e "$p" ] || [ -L "$p" ]; then echo ${`other.${file.key}`}=1; fi`);
  }
  if (keyUrl !== undefined) {
    lines.push(...downloadLines(keyUrl, 'key', KEY_FAILED), raw('echo "keyurl=$(base64 -w0 < "$d/key")"'));
  }
  return raw(lines.map((line) => line.text).join('\n'));
}

export function parseDebSources(result: ExecResult, files: ManagedFile[]): DebSourcesFacts {
  if (result.code !== 0) {
    const text = result.stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('W: Download is performed unsandboxed'))
      .join('\n');
    const detail = text || `exit code ${result.code}`;
    throw moduleFailure(result.code === KEY_FAILED ? `cannot fetch the key: ${detail}` : detail, {
      exitCode: result.code,
      stderr: result.stderr,
    });
  }
  const report = parseReport(result.stdout);
  const facts: DebSourcesFacts = { keyringsDir: single(report, 'keyrings') !== '0', files: {} };
  for (const file of files) {
    const sha = single(report, `sha.${file.key}`);
    const text = single(report, `text.${file.key}`);
    if (sha !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(sha)) throw moduleFailure(`unexpected output for ${file.path}: ${sha}`);
      const entry: FileFacts = { path: file.path, sha256: sha };
      if (text !== undefined) entry.text = Buffer.from(text, 'base64').toString('utf8');
      facts.files[file.key] = entry;
    } else if (single(report, `other.${file.key}`) === '1') {
      facts.files[file.key] = { path: file.path, other: true };
    }
  }
  const key = single(report, 'keyurl');
  if (key !== undefined) facts.downloadedKey = key;
  return facts;
}

/**
 * Answers of slow inventory sources kept on disk for a while: one file per key (the key hashes
 * the source file and the credentials it is read with, so another profile never sees this
 * one's hosts). A file that cannot be read or parsed is ignored and written anew; writes are
 * atomic (temp file, rename) and private to the user.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

const VERSION = 1;

export interface CacheEntry<T> {
  data: T;
  /** Milliseconds since the epoch. */
  written: number;
}

/** The default cache folder: $XDG_CACHE_HOME/bosun/inventory, else ~/.cache/bosun/inventory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'bosun', 'inventory');
}

export function cacheKey(material: unknown): string {
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}

const pathOf = (dir: string, key: string) => join(dir, `${key}.json`);

export type CacheRead<T> =
  | { state: 'hit'; entry: CacheEntry<T> }
  | { state: 'miss' | 'expired' }
  | { state: 'corrupt'; reason: string };

/** The entry under `key` if it is younger than `ttlSeconds`. */
export async function readCache<T>(
  dir: string,
  key: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<CacheRead<T>> {
  let text: string;
  try {
    text = await readFile(pathOf(dir, key), 'utf8');
  } catch {
    return { state: 'miss' };
  }
  let parsed: { version?: unknown; key?: unknown; written?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { state: 'corrupt', reason: (error as Error).message };
  }
  if (
    parsed?.version !== VERSION ||
    parsed.key !== key ||
    typeof parsed.written !== 'number' ||
    !('data' in parsed)
  ) {
    return { state: 'corrupt', reason: 'not a cache entry of this version' };
  }
  if (now - parsed.written > ttlSeconds * 1000 || parsed.written > now) return { state: 'expired' };
  return { state: 'hit', entry: { data: parsed.data as T, written: parsed.written } };
}

export async function writeCache(dir: string, key: string, data: unknown, now = Date.now()): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = pathOf(dir, key);
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, JSON.stringify({ version: VERSION, key, written: now, data }), { mode: 0o600 });
  await rename(temp, target);
}

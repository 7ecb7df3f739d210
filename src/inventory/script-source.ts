/**
 * An executable that prints Ansible's JSON inventory: `SCRIPT --list` gives groups (each a list
 * of hosts, or `{hosts, vars, children}`) and, usually, every host's variables under
 * `_meta.hostvars`; without `_meta`, `SCRIPT --host NAME` is asked for each host, as Ansible does.
 * The script runs without a shell, from its own folder, with the caller's environment.
 */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { BosunError, messageOf } from '../errors.js';
import type { SourcePosition } from '../model/yaml-source.js';
import type {
  GeneratedGroup,
  GeneratedHost,
  GeneratedInventory,
  GeneratedVar,
  InventoryFile,
  InventorySource,
  InventorySourceContext,
} from './sources.js';

const CODE = 'BOSUN_INVENTORY';
const TIMEOUT_MS = 120_000;

function runScript(file: InventoryFile, args: string[], context: InventorySourceContext): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file.path,
      args,
      { cwd: dirname(file.path), env: context.env, timeout: TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why =
            error.killed && error.signal
              ? `was stopped after ${TIMEOUT_MS / 1000} s`
              : typeof error.code === 'number'
                ? `exited with ${error.code}`
                : `could not run: ${messageOf(error)}`;
          const tail = stderr.trim().split('\n').slice(-5).join('\n');
          reject(
            new BosunError(
              CODE,
              `inventory script ${file.display} ${args.join(' ')} ${why}${tail ? `:\n${tail}` : ''}`,
              {
                cause: error,
              },
            ),
          );
        } else resolve(stdout);
      },
    );
  });
}

function parseJson(text: string, file: InventoryFile, args: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new BosunError(
      CODE,
      `inventory script ${file.display} ${args} did not print JSON: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringList(value: unknown, file: InventoryFile, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new BosunError(CODE, `inventory script ${file.display}: ${what} must be a list of names`);
  }
  return value as string[];
}

function varsOf(
  value: unknown,
  file: InventoryFile,
  what: string,
  at: SourcePosition,
  detail: string,
): GeneratedVar[] {
  if (value === undefined || value === null) return [];
  if (!isMapping(value))
    throw new BosunError(CODE, `inventory script ${file.display}: ${what} must be a mapping`);
  return Object.entries(value).map(([name, v]) => ({ name, value: v, at, detail }));
}

/** The inventory a script's `--list` output describes (hosts without `_meta` asked with `--host`). */
export async function scriptInventory(
  file: InventoryFile,
  context: InventorySourceContext,
): Promise<GeneratedInventory> {
  const list = parseJson(await runScript(file, ['--list'], context), file, '--list');
  if (!isMapping(list))
    throw new BosunError(CODE, `inventory script ${file.display} --list must print a JSON object`);
  const at: SourcePosition = { file: file.display, line: 1, column: 1 };
  const groups: GeneratedGroup[] = [];
  const hostGroups = new Map<string, string[]>();
  const addHost = (host: string, group: string) => {
    const names = hostGroups.get(host) ?? [];
    if (group !== 'all' || names.length === 0) names.push(group);
    hostGroups.set(host, names);
  };
  for (const [name, body] of Object.entries(list)) {
    if (name === '_meta') continue;
    if (Array.isArray(body)) {
      for (const host of stringList(body, file, `group ${name}`)) addHost(host, name);
      groups.push({ name, children: [], vars: [], at });
      continue;
    }
    if (!isMapping(body))
      throw new BosunError(
        CODE,
        `inventory script ${file.display}: group ${name} must be a list or a mapping`,
      );
    for (const host of stringList(body.hosts, file, `${name}.hosts`)) addHost(host, name);
    groups.push({
      name,
      children: stringList(body.children, file, `${name}.children`),
      vars: varsOf(body.vars, file, `${name}.vars`, at, '--list'),
      at,
    });
  }
  const meta = isMapping(list._meta) ? list._meta : undefined;
  const hostvars = meta && isMapping(meta.hostvars) ? meta.hostvars : undefined;
  const hosts: GeneratedHost[] = [];
  for (const [host, names] of hostGroups) {
    // `all` alone is no group of its own: the loader puts such hosts in `ungrouped`.
    const direct = names.filter((g) => g !== 'all');
    let vars: GeneratedVar[];
    if (hostvars) vars = varsOf(hostvars[host], file, `_meta.hostvars.${host}`, at, '--list _meta.hostvars');
    else
      vars = varsOf(
        parseJson(await runScript(file, ['--host', host], context), file, `--host ${host}`),
        file,
        `--host ${host}`,
        at,
        `--host ${host}`,
      );
    hosts.push({ name: host, groups: direct, vars, at });
  }
  return { origin: 'script', hosts, groups, warnings: [] };
}

export const scriptSource: InventorySource = {
  name: 'script',
  accepts: (file) => file.executable && file.yaml === undefined,
  load: async (file, context) => ({ kind: 'generated', inventory: await scriptInventory(file, context) }),
};

/**
 * Everything a run needs, loaded and checked before any host is touched: the inventory, the
 * playbook (its roles, role params and tasks, by D's loader), the -e variables, every play's
 * vars files (templated names rendered per host), the hosts of each play (with --limit), the
 * connection settings of every host, the targets of literal `delegate_to`, the controller
 * files of `copy: src`, and every template the tasks render (input-templates.ts). Any problem is
 * a BOSUN_INPUT / BOSUN_INVENTORY error: exit code 4.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { TObject, TSchema } from '@sinclair/typebox';
import { BosunError } from '../errors.js';
import {
  type ConnectionOverrides,
  connectionSecrets,
  type HostConnection,
  inventoryConnection,
} from '../inventory/connection.js';
import type { Inventory } from '../inventory/inventory.js';
import { type LoadInventoryOptions, loadInventory } from '../inventory/loader.js';
import { matchHosts } from '../inventory/pattern.js';
import { loadPlaybook } from '../model/playbook.js';
import type { PlaybookModel, PlayModel, TaskModel } from '../model/playbook-types.js';
import { roleValueIssues } from '../model/role-loader.js';
import { isTemplate } from '../model/task-args.js';
import { issueError } from '../model/validate.js';
import { templateCandidates } from '../modules/template.js';
import { type ExtraVars, parseExtraVars } from '../vars/extra-vars.js';
import { childLocation, locate, type RenderLocation } from '../vars/location.js';
import { awsLookupFetcher, type LookupFetcher, Lookups } from '../vars/lookups.js';
import { mappingLayer, type VarLayerInput, type VarScope } from '../vars/scope.js';
import { secretValues } from '../vars/secret-fields.js';
import { Secrets } from '../vars/secrets.js';
import { renderText, resolveVariable } from '../vars/template.js';
import { loadVarsFile, openVars, type VaultContext } from '../vars/vars-file.js';
import type { VaultPasswordSource } from '../vars/vault.js';
import { FactStore, magicVars, playScope } from './host-scope.js';
import { checkTemplates } from './input-templates.js';
import { allEntries, argPath, type TaskEntry } from './play-plan.js';
import { ALL_TAGS, type TagSelection } from './tags.js';

export interface RunInputOptions {
  playbook: string;
  /** Inventory files or folders (-i), at least one. */
  inventory: readonly string[];
  /** -e arguments, in order. */
  extraVars?: readonly string[];
  /** Folder relative paths are resolved from (default process.cwd()). */
  cwd?: string;
  /** --limit pattern. */
  limit?: string | undefined;
  rolesPath?: string[];
  /** What the command line imposes on every connection (become password, host keys, timeouts). */
  connection?: ConnectionOverrides;
  check?: boolean;
  diff?: boolean;
  /** --tags / --skip-tags: tasks left out are not checked for undefined variables. */
  tags?: TagSelection;
  /** The run's secrets (the CLI redacts its output with them); a new set when not given. */
  secrets?: Secrets;
  /** Passwords of encrypted vars files and values, by vault id. */
  vaultPasswords?: VaultPasswordSource;
  /** How secret lookups are fetched (default: the AWS SDK, to `awsEndpoint` when given). */
  lookupFetcher?: LookupFetcher;
  awsEndpoint?: string | undefined;
  /** How inventory sources are read (environment, --refresh-cache, debug log). */
  inventoryOptions?: Omit<LoadInventoryOptions, 'cwd'>;
}

export interface PreparedPlay {
  play: PlayModel;
  /** 0-based position in the playbook. */
  index: number;
  /** Hosts matching the play's pattern and --limit, in inventory order. */
  hosts: string[];
  /** Per host: the play's vars files as variable layers, in order. */
  varsFiles: Map<string, VarLayerInput[]>;
}

export interface RunInput {
  playbook: PlaybookModel;
  inventory: Inventory;
  extraVars: ExtraVars;
  plays: PreparedPlay[];
  /** Connection settings of every host a play or a literal delegate_to names. */
  connections: Map<string, HostConnection>;
  /** Worth telling, not fatal: inventory warnings, host pattern terms that matched nothing. */
  warnings: string[];
  /** What the command line imposed on connections, for hosts connected to later (templated delegate_to). */
  connectionOverrides: ConnectionOverrides;
  cwd: string;
  check: boolean;
  diff: boolean;
  /** Secret values found so far (vault, passwords, secret role parameters); the run adds more. */
  secrets: Secrets;
  /** The run's secret lookups (ssm, aws_secret), each fetched once. */
  lookups: Lookups;
}

/** Names delegate_to accepts without an inventory entry: the controller itself. */
export const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

export async function loadRunInput(options: RunInputOptions): Promise<RunInput> {
  const cwd = options.cwd ?? process.cwd();
  if (options.inventory.length === 0) {
    throw new BosunError(
      'BOSUN_INPUT',
      'no inventory given: use -i FILE (for the lab: -i inventory/lab.yml)',
    );
  }
  const secrets = options.secrets ?? new Secrets();
  const vault: VaultContext = { passwords: options.vaultPasswords ?? (async () => undefined), secrets };
  const inventory = await loadInventory(options.inventory, { ...options.inventoryOptions, cwd, vault });
  const warnings = [...inventory.warnings];
  const extraVars = await parseExtraVars(options.extraVars ?? [], cwd, vault);
  const playbook = await loadPlaybook(options.playbook, {
    cwd,
    ...(options.rolesPath ? { rolesPath: options.rolesPath } : {}),
  });
  // A play's `vars:` may hold `!vault` values, opened as those of vars files are.
  for (const play of playbook.plays)
    play.vars = await openVars(play.vars, vault, play.source.file, false, [...play.path, 'vars']);

  const view = inventory.patternView();
  let limited: Set<string> | undefined;
  if (options.limit !== undefined) {
    const { hosts, unmatched } = matchHosts(options.limit, view);
    for (const term of unmatched) warnings.push(`--limit: could not match host pattern, ignoring: ${term}`);
    if (hosts.length === 0) {
      throw new BosunError('BOSUN_INPUT', `--limit "${options.limit}" matches no host of the inventory`);
    }
    limited = new Set(hosts);
  }

  const check = options.check ?? false;
  const diff = options.diff ?? false;
  const plays: PreparedPlay[] = [];
  for (const [index, play] of playbook.plays.entries()) {
    const { hosts: matched, unmatched } = matchHosts(play.hosts, view);
    for (const term of unmatched)
      warnings.push(`play "${play.name}": could not match host pattern, ignoring: ${term}`);
    const hosts = limited ? matched.filter((host) => limited.has(host)) : matched;
    const varsFiles = await varsFilesByHost(play, hosts, {
      inventory,
      extraVars,
      playbook,
      check,
      diff,
      cwd,
      vault,
    });
    plays.push({ play, index, hosts, varsFiles });
  }
  if (limited && plays.every((play) => play.hosts.length === 0)) {
    throw new BosunError('BOSUN_INPUT', `--limit "${options.limit}" leaves no host to run on in any play`);
  }

  const connections = new Map<string, HostConnection>();
  const overrides = options.connection ?? {};
  const connect = (host: string) => {
    if (connections.has(host)) return;
    const connection = inventoryConnection(inventory, host, overrides);
    connections.set(host, connection);
    secrets.add(connectionSecrets(connection));
  };
  for (const { hosts } of plays) for (const host of hosts) connect(host);
  for (const { play, hosts } of plays) {
    if (hosts.length === 0) continue;
    for (const entry of allEntries(play)) {
      checkDelegation(entry.task, inventory, connect);
      checkLocalFiles(entry, playbook.dir);
    }
  }
  const input: RunInput = {
    playbook,
    inventory,
    extraVars,
    plays,
    connections,
    warnings,
    connectionOverrides: overrides,
    cwd,
    check,
    diff,
    secrets,
    lookups: new Lookups(options.lookupFetcher ?? awsLookupFetcher(options.awsEndpoint), secrets),
  };
  const scopeOf = hostScopes(input);
  checkRoleValues(input, scopeOf);
  checkTemplates({
    playbook,
    plays,
    scopeOf: (index, host) => scopeOf(plays[index]!, host),
    templateFile: (entry) => controllerTemplate(entry, playbook.dir, cwd),
    tags: options.tags ?? ALL_TAGS,
  });
  return input;
}

type HostScopes = (prepared: PreparedPlay, host: string) => VarScope;

/** A host's variables for a play before any task, as the run starts with them; each built once. */
function hostScopes(input: RunInput): HostScopes {
  const built = new Map<PreparedPlay, Map<string, VarScope>>();
  return (prepared, host) => {
    let byHost = built.get(prepared);
    if (!byHost) {
      byHost = new Map();
      built.set(prepared, byHost);
    }
    let scope = byHost.get(host);
    if (scope) return scope;
    const { play, hosts, varsFiles } = prepared;
    scope = playScope({
      inventory: input.inventory,
      host,
      play,
      extraVars: input.extraVars,
      varsFiles: varsFiles.get(host) ?? [],
      magic: magicVars({
        inventory: input.inventory,
        host,
        playbookDir: input.playbook.dir,
        check: input.check,
        diff: input.diff,
        playHosts: hosts,
        batchHosts: hosts,
        facts: new FactStore(),
      }),
    });
    byHost.set(host, scope);
    return scope;
  };
}

/**
 * Role parameters often come from vars files and `-e @vars/ENV/vars.yml` rather than `params:`
 * (the operators' users_state per environment). Check each role's schema and cross-parameter
 * rules against the values every host will see, so a bad vars file stops the run before any
 * host is touched, with the file and key path of the offending value.
 */
function checkRoleValues(input: RunInput, scopeOf: HostScopes): void {
  const { secrets } = input;
  for (const prepared of input.plays) {
    const { play, hosts } = prepared;
    for (const { ref, role } of play.roles) {
      if (!role.schema) continue;
      for (const host of hosts) {
        const scope = scopeOf(prepared, host).withLayers([
          { layer: 'role defaults', source: `role ${role.name} defaults`, values: role.defaults },
          mappingLayer('role params', ref.source, [...ref.path, 'params'], ref.params),
        ]);
        const values = roleVariables(role.schema, scope);
        secrets.add(secretValues(role.schema, values));
        const [issue] = roleValueIssues(role, values);
        if (!issue) continue;
        const [name, ...rest] = issue.path;
        const at = scope.definition(String(name))?.at;
        const where: RenderLocation = at
          ? rest.reduce<RenderLocation>(childLocation, at)
          : { label: `role ${role.name}`, path: issue.path };
        throw new BosunError(
          'BOSUN_INPUT',
          `${locate(where).prefix}${issue.message} (role "${role.name}", host ${host})`,
        );
      }
    }
  }
}

/** The values `scope` gives the parameters of a role's schema, rendered where they can be now. */
export function roleVariables(schema: TSchema, scope: VarScope): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys((schema as TObject).properties ?? {})) {
    if (!scope.has(name)) continue;
    try {
      values[name] = resolveVariable(scope, name);
    } catch {
      // A value that depends on run-time facts is checked when the role's tasks use it.
    }
  }
  return values;
}

interface VarsFilesContext {
  inventory: Inventory;
  extraVars: ExtraVars;
  playbook: PlaybookModel;
  check: boolean;
  diff: boolean;
  cwd: string;
  vault: VaultContext;
}

/**
 * The vars files of a play for each host. Static ones are read once; a templated name
 * (`vars/{{ env }}.yml`) is rendered with the host's inventory, play and extra variables, and
 * the file it names must exist, for every host, before the run starts.
 */
async function varsFilesByHost(
  play: PlayModel,
  hosts: readonly string[],
  context: VarsFilesContext,
): Promise<Map<string, VarLayerInput[]>> {
  const byHost = new Map<string, VarLayerInput[]>(hosts.map((host) => [host, []]));
  const cache = new Map<string, VarLayerInput>();
  const read = async (absolute: string) => {
    let layer = cache.get(absolute);
    if (!layer) {
      layer = await loadVarsFile(absolute, 'vars files', {
        display: shown(absolute, context.cwd),
        vault: context.vault,
      });
      cache.set(absolute, layer);
    }
    return layer;
  };
  const facts = new FactStore();
  for (const [index, file] of play.varsFiles.entries()) {
    const at = [...play.path, 'vars_files', index];
    if (!isTemplate(file)) {
      const layer = await read(file);
      for (const host of hosts) byHost.get(host)!.push(layer);
      continue;
    }
    for (const host of hosts) {
      const scope = playScope({
        inventory: context.inventory,
        host,
        play,
        extraVars: context.extraVars,
        varsFiles: byHost.get(host)!,
        magic: magicVars({
          inventory: context.inventory,
          host,
          playbookDir: context.playbook.dir,
          check: context.check,
          diff: context.diff,
          playHosts: hosts,
          batchHosts: hosts,
          facts,
        }),
      });
      const name = renderText(file, scope, { source: play.source, path: at });
      const absolute = resolve(context.playbook.dir, name);
      if (!existsSync(absolute) || !statSync(absolute).isFile()) {
        throw issueError(
          play.source,
          at,
          'value',
          `vars file "${name}" (for host ${host}) not found (looked for ${shown(absolute, context.cwd)})`,
        );
      }
      byHost.get(host)!.push(await read(absolute));
    }
  }
  return byHost;
}

function checkDelegation(task: TaskModel, inventory: Inventory, connect: (host: string) => void): void {
  const target = task.delegateTo;
  if (target === undefined || isTemplate(target)) return;
  if (inventory.hasHost(target)) connect(target);
  else if (!LOCAL_NAMES.has(target)) {
    throw issueError(
      task.source,
      [...task.path, 'delegate_to'],
      'value',
      `no host "${target}" in the inventory (delegate_to names an inventory host, or localhost)`,
    );
  }
}

/** A literal `src` of copy or template must name a file the controller has. */
function checkLocalFiles(entry: TaskEntry, playbookDir: string): void {
  const { task } = entry;
  const src = task.args.src;
  const local = localSource(entry, playbookDir);
  if (!local || local.found !== undefined) return;
  const what = task.module === 'template' ? 'template' : 'file';
  throw issueError(
    task.source,
    argPath(task, 'src'),
    'value',
    `${what} "${src}" not found on the controller (looked for ${local.candidates.join(', ')})`,
  );
}

/**
 * Where the controller file of a copy or template task with a literal `src` is looked for,
 * in the order the run reads them, and the first that exists.
 */
function localSource(
  entry: TaskEntry,
  playbookDir: string,
): { candidates: string[]; found: string | undefined } | undefined {
  const { task } = entry;
  if (task.module !== 'copy' && task.module !== 'template') return undefined;
  const src = task.args.src;
  if (typeof src !== 'string' || isTemplate(src)) return undefined;
  const names = task.module === 'template' ? templateCandidates(src) : [src];
  const candidates = [...new Set(names.flatMap((name) => localFileCandidates(name, entry, playbookDir)))];
  return { candidates, found: candidates.find((path) => existsSync(path) && statSync(path).isFile()) };
}

/** The file a template task with a literal `src` renders, as found on the controller. */
function controllerTemplate(
  entry: TaskEntry,
  playbookDir: string,
  cwd: string,
): { path: string; shown: string } | undefined {
  if (entry.task.module !== 'template') return undefined;
  const found = localSource(entry, playbookDir)?.found;
  return found === undefined ? undefined : { path: found, shown: shown(found, cwd) };
}

/**
 * Where a relative controller file is looked for: the role's files/ and folder, then the
 * playbook's files/ and folder; `templates/x` also in the role's own templates folder.
 */
export function localFileCandidates(path: string, entry: TaskEntry, playbookDir: string): string[] {
  if (isAbsolute(path)) return [path];
  const role = entry.roleUse?.role;
  // A role may keep its templates elsewhere than templates/ (defineRole({ templatesDir })).
  const inTemplates = /^templates\/(.+)$/.exec(path);
  const own = role?.templatesDir && inTemplates ? [resolve(role.templatesDir, inTemplates[1]!)] : [];
  const dirs: string[] = [];
  if (role) {
    if (role.filesDir) dirs.push(role.filesDir);
    dirs.push(role.dir);
  }
  dirs.push(join(playbookDir, 'files'), playbookDir);
  return [...new Set([...own, ...dirs.map((dir) => resolve(dir, path))])];
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

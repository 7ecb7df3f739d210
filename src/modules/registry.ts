/**
 * Every module by name. Tasks may also use Ansible's collection-qualified names
 * (`ansible.builtin.copy`, `ansible.legacy.shell`) so existing playbooks read the same.
 */
import { assertModule } from './assert.js';
import { commandModule } from './command.js';
import { copyModule } from './copy.js';
import { debugModule } from './debug.js';
import { failModule } from './fail.js';
import { fileModule } from './file.js';
import { accountModules } from './group-accounts.js';
import { fileModules } from './group-files.js';
import { packageModules } from './group-packages.js';
import { systemModules } from './group-system.js';
import { metaModule } from './meta.js';
import { setFactModule } from './set-fact.js';
import { shellModule } from './shell.js';
import type { ModuleDefinition } from './types.js';

const MODULES: ModuleDefinition[] = [
  commandModule,
  shellModule,
  copyModule,
  fileModule,
  debugModule,
  setFactModule,
  assertModule,
  failModule,
  metaModule,
  ...fileModules,
  ...packageModules,
  ...accountModules,
  ...systemModules,
];

const QUALIFIERS = ['ansible.builtin.', 'ansible.legacy.'];

const byName = new Map<string, ModuleDefinition>();
for (const module of MODULES) {
  for (const name of [module.name, ...(module.aliases ?? [])]) {
    for (const prefix of ['', ...QUALIFIERS]) byName.set(prefix + name, module);
  }
}

/** The module a task key names (canonical name, alias or qualified name), or undefined. */
export function getModule(name: string): ModuleDefinition | undefined {
  return byName.get(name);
}

/** Canonical names, in a stable order (for "did you mean" and docs). */
export function moduleNames(): string[] {
  return MODULES.map((module) => module.name);
}

/** Every name getModule accepts. */
export function acceptedModuleNames(): string[] {
  return [...byName.keys()];
}

export function allModules(): readonly ModuleDefinition[] {
  return MODULES;
}

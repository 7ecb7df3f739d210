/**
 * What the model needs to know about modules: names, aliases, argument schemas and the free-form
 * argument. Read from the module registry; a catalog can be passed in so tests and tools can
 * load tasks against another set.
 */
import type { TSchema } from '@sinclair/typebox';
import { getModule, moduleNames } from '../modules/registry.js';

export interface ModuleInfo {
  name: string;
  aliases?: string[];
  schema: TSchema;
  /** Argument receiving a bare string (`command: uptime` -> args[freeForm] = 'uptime'). */
  freeForm?: string;
  /** Cross-argument rules the schema cannot say (one of, exclusive...). */
  checkArgs?(args: Record<string, unknown>): { key?: string; message: string; literal?: boolean }[];
}

export interface ModuleCatalog {
  /** The module called `name` (aliases resolved), or undefined. */
  get(name: string): ModuleInfo | undefined;
  /** Canonical names, for suggestions and the JSON Schema. */
  names(): string[];
}

/** Ansible's collection prefixes, so `ansible.builtin.copy` means `copy`. */
const PREFIXES = ['ansible.builtin.', 'ansible.legacy.'];

export const registryCatalog: ModuleCatalog = {
  get(name) {
    const direct = getModule(name);
    if (direct) return direct;
    const prefix = PREFIXES.find((p) => name.startsWith(p));
    return prefix ? getModule(name.slice(prefix.length)) : undefined;
  },
  names: () => [...moduleNames()].sort(),
};

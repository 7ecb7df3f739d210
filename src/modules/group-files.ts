import type { ModuleDefinition } from './types.js';

/** Modules of one family (template, lineinfile, blockinfile, replace, stat, slurp), registered by registry.ts. */
export const fileModules: ModuleDefinition[] = [];

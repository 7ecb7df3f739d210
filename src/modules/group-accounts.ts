import type { ModuleDefinition } from './types.js';

/** Modules of one family (user, group, authorized_key, cron), registered by registry.ts. */
export const accountModules: ModuleDefinition[] = [];

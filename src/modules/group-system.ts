import type { ModuleDefinition } from './types.js';

/** Modules of one family (service/systemd, sysctl, wait_for, get_url, unarchive, git), registered by registry.ts. */
export const systemModules: ModuleDefinition[] = [];

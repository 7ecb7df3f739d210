import { getUrlModule } from './get-url.js';
import { gitModule } from './git.js';
import { serviceModule } from './service.js';
import { sysctlModule } from './sysctl.js';
import type { ModuleDefinition } from './types.js';
import { unarchiveModule } from './unarchive.js';
import { waitForModule } from './wait-for.js';

/** Modules of one family (service/systemd, sysctl, wait_for, get_url, unarchive, git), registered by registry.ts. */
export const systemModules: ModuleDefinition[] = [
  serviceModule,
  sysctlModule,
  waitForModule,
  getUrlModule,
  unarchiveModule,
  gitModule,
];

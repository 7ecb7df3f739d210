import { authorizedKeyModule } from './authorized-key.js';
import { cronModule } from './cron.js';
import { groupModule } from './group.js';
import type { ModuleDefinition } from './types.js';
import { userModule } from './user.js';

/** Modules of one family (user, group, authorized_key, cron), registered by registry.ts. */
export const accountModules: ModuleDefinition[] = [userModule, groupModule, authorizedKeyModule, cronModule];

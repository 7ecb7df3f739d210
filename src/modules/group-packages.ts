import { aptModule } from './apt.js';
import { aptRepositoryModule } from './apt-repository.js';
import type { ModuleDefinition } from './types.js';

/** Modules of one family (apt/package, apt_repository), registered by registry.ts. */
export const packageModules: ModuleDefinition[] = [aptModule, aptRepositoryModule];

import { blockinfileModule } from './blockinfile.js';
import { lineinfileModule } from './lineinfile.js';
import { replaceModule } from './replace.js';
import { slurpModule } from './slurp.js';
import { statModule } from './stat.js';
import { templateModule } from './template.js';
import type { ModuleDefinition } from './types.js';

/** Modules of one family (template, lineinfile, blockinfile, replace, stat, slurp), registered by registry.ts. */
export const fileModules: ModuleDefinition[] = [
  templateModule,
  lineinfileModule,
  blockinfileModule,
  replaceModule,
  statModule,
  slurpModule,
];

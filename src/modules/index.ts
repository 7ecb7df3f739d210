/** The modules' public surface: contract types, the registry and the outcome helper. */
export { type FreeFormResult, freeFormArgs } from './free-form.js';
export { finishPlan } from './outcome.js';
export { acceptedModuleNames, allModules, getModule, moduleNames } from './registry.js';
export type {
  ArgIssue,
  ChangePlan,
  Diff,
  FileDiff,
  ModuleContext,
  ModuleDefinition,
  ModuleKind,
  ModuleOutcome,
  NoChangePlan,
  Plan,
  StateDiff,
  Step,
} from './types.js';
export { isFileDiff } from './types.js';

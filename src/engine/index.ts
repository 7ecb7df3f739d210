/** The engine: load a run's input (everything checked first), run it, emit events. */
export { batchSize, serialBatches } from './batches.js';
export { CENSORED_MESSAGE } from './censor.js';
export { stateText, unifiedDiff } from './diff.js';
export {
  countResult,
  type EventDiff,
  type EventListener,
  emptyRecap,
  type HostRecap,
  type HostResultEvent,
  type HostStatus,
  type RunEvent,
} from './events.js';
export { HandlerNotifications } from './handlers.js';
export { loadRunInput, type PreparedPlay, type RunInput, type RunInputOptions } from './input.js';
export { type ListedPlay, type ListedTask, listPlays } from './listing.js';
export { type BatchState, type Verdict, verdictAfterTask } from './policy.js';
export {
  DEFAULT_FORKS,
  type RunPlaybookOptions,
  type RunSummary,
  runPlaybook,
  type TransportProvider,
} from './run.js';
export { ALL_TAGS, parseTagList, type TagSelection, tagsAllow } from './tags.js';

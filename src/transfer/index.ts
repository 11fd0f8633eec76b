export { transferFile, type TransferCallbacks, type TransferOutcome, type TransferPlan } from './transfer.js';
export { planSegments, segmentSchema, type Segment } from './segments.js';
export { transferErrorSchema, type TransferError } from './errors.js';
export type { DurableChunk } from './durable-ledger.js';
export { validatorSchema, type Validator } from './options.js';
export { backoffDelayMs, retryPolicySchema, type RetryPolicy } from './retry.js';
export { checkFreeSpace } from './part-file.js';
export { ConnectionBudget } from './budget.js';
export type { SegmentSplit } from './round.js';

/** The public face of pipeline/sources: pick a source for an argument, plan it into shards. */
export { detectSource, detectType, type DetectOptions } from './detect.ts';
export {
  planShards,
  ShardPlan,
  DEFAULT_SHARD_SIZE,
  type PlanOptions,
  type PlanSummary,
  type PlannedShard,
} from './plan.ts';
export { imageIdFromBytes, imageIdFromUri, normaliseUri, IMAGE_ID_HEX } from './ids.ts';
export {
  SourceError,
  SOURCE_TYPES,
  IMAGE_EXTENSIONS,
  type Source,
  type SourceEntry,
  type SourceItem,
  type SourceProblem,
  type SourceType,
  type ProblemReason,
} from './types.ts';

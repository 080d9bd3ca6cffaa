import type { JobsOptions } from 'bullmq';

/**
 * The failure policy (docs/operations.md): one place for every BullMQ setting that bounds Redis or
 * decides what a failure does. A shard job is long (a shard of 1,000 images is minutes of
 * inference), so the lock is long and renewed per mini-batch; a child that fails for good fails its
 * parent (merge), so no flow waits forever; failed jobs are kept (they are what `fld status` shows
 * and `fld retry` re-runs), completed ones are not.
 */
export interface JobPolicy {
  /** Tries per stage job, the first included. */
  attempts: number;
  /** First retry delay; doubles per retry (exponential backoff). */
  backoffMs: number;
}

export const DEFAULT_JOB_POLICY: JobPolicy = { attempts: 3, backoffMs: 30_000 };

/** Completed jobs kept per queue (done markers in storage are the record, not Redis). */
export const KEEP_COMPLETED = 100;
/** Failed jobs kept per queue: enough to see and retry every failed shard of a large round. */
export const KEEP_FAILED = 50_000;
/** Stack frames kept per failure: a stored trace is ~50 KB at the default and one is kept per try. */
export const STACK_TRACE_LIMIT = 3;
/** Length of each queue's events stream (BullMQ's default is 10,000 entries per queue). */
export const EVENTS_MAX_LEN = 1000;

export function jobOptions(policy: JobPolicy, child: boolean): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: { count: KEEP_COMPLETED },
    removeOnFail: { count: KEEP_FAILED },
    stackTraceLimit: STACK_TRACE_LIMIT,
    ...(child ? { failParentOnFailure: true } : {}),
  };
}

/** Worker settings for shard jobs; see docs/operations.md for how they were sized. */
export interface WorkerPolicy {
  /** A job whose lock is not renewed for this long is stalled and goes back to wait. */
  lockDuration: number;
  /** How often a worker checks for stalled jobs. */
  stalledInterval: number;
  /** Stalls allowed before the job fails (a process killed mid-shard is one stall). */
  maxStalledCount: number;
}

export const DEFAULT_WORKER_POLICY: WorkerPolicy = {
  lockDuration: 300_000,
  stalledInterval: 30_000,
  maxStalledCount: 2,
};

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Queue, QueueEvents, UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import type { EngineConfig } from '../../schemas/config.ts';
import { validate } from '../../schemas/validate.ts';
import { registryDir, SHIPPED_MODELS_DIR } from '../../specialists/registry/registry.ts';
import { KEEP_COMPLETED, KEEP_FAILED, STACK_TRACE_LIMIT } from '../engine/policy.ts';
import type { RedisConn } from '../engine/redis.ts';
import { TrainStageError, type TrainFailure } from './train-errors.ts';
import { TRAIN_FAMILIES, type TrainFamily } from './names.ts';
import { trainRound, type TrainResult } from './train-round.ts';

/**
 * The training stage as one BullMQ job on `fld.train` (docs/training-stage.md). The job carries pointers
 * only (collection, round, starting model, steps, timeout, registry); the worker's own config says
 * which trainer command runs and where the storage is. Its id is deterministic per collection and
 * round, so a second `fld train` while one is queued or running waits on the same job. One try: a
 * failed training is not retried on its own (it would fail the same way, for hours); the failure
 * message starts with `[reason]` so the waiting CLI can say which failure it was and exit with its code.
 * `family: 'detector'` is the detector's training of the round (`fld train --family detector`), a job
 * of its own (id `<C>.<R>.train-detector`) beside the florence2 one.
 */
export const TRAIN_QUEUE = 'fld.train';

export const TrainJob = z
  .object({
    collection: z.string().min(1),
    round: z.number().int().min(0),
    /** What is trained: the Florence-2 model (`<C>-round-<R>`) or the detector (`<C>-detector-round-<R>`). */
    family: z.enum(TRAIN_FAMILIES).default('florence2'),
    /** Registered model name or model folder; null trains from scratch (detector: starts from the round's detector). */
    init: z.string().min(1).nullable().default(null),
    steps: z.number().int().min(1).nullable().default(null),
    timeoutS: z.number().positive().nullable().default(null),
    /** Registry folder; null: the worker's. Any other folder than the worker's own is refused (`jobPaths`). */
    registry: z.string().min(1).nullable().default(null),
  })
  .strict();
export type TrainJob = z.infer<typeof TrainJob>;
/** What a caller hands `runTrainJob`: the fields with defaults may be left out (`family` florence2). */
export type TrainJobInput = z.input<typeof TrainJob>;

export const trainJobId = (collection: string, round: number, family: TrainFamily = 'florence2'): string =>
  family === 'detector' ? `${collection}.${round}.train-detector` : `${collection}.${round}.train`;

/** What the CLI gets while it waits: the trainer's progress events and the stage's own messages ({event: 'stage', message}). */
export type TrainProgress = Record<string, unknown>;

const REASON = /^\[(bad-input|trainer-exit|timeout|bad-model)\] /;

/**
 * A job is data anyone with access to Redis can write, so the paths it names are not trusted: the
 * registry must be the worker's own (`fld worker --registry`, else $FLD_MODELS or .fld/models) and an
 * init that is a path must lie inside it or among the models this installation ships (`models/`,
 * read only; the demo starts from one). A registered name is looked up in the registry anyway. The
 * trainer reads the init folder and writes into the registry, so either path chosen by a job would
 * let it read or write anywhere the worker can.
 */
export function jobPaths(d: TrainJob, workerRegistry: string, what: string): { registry: string; init: string | null } {
  const home = resolve(workerRegistry);
  if (d.registry !== null && resolve(d.registry) !== home)
    throw new TrainStageError(
      'bad-input',
      `${what}: registry ${d.registry} is not this worker's registry ${home} (start the worker with --registry ${d.registry}, or leave the job's registry out)`,
    );
  const isPath = (v: string) => isAbsolute(v) || v.includes('/') || v.includes(sep) || v.startsWith('.');
  if (d.init !== null && isPath(d.init)) {
    const target = resolve(home, d.init);
    const inside = (root: string) => {
      const rel = relative(root, target);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    };
    if (!inside(home) && !inside(SHIPPED_MODELS_DIR))
      throw new TrainStageError(
        'bad-input',
        `${what}: init ${d.init} is outside this worker's registry ${home} and the shipped models ${SHIPPED_MODELS_DIR} (register the model there, then name it)`,
      );
  }
  return { registry: home, init: d.init };
}

/** The worker side: trainRound with every trainer line in the job log and each progress event as the job's progress. */
export function trainProcessor(config: EngineConfig, workerRegistry: string = registryDir()) {
  return async (job: Job): Promise<TrainResult> => {
    const what = `job ${job.id} on ${job.queueName}`;
    try {
      const d = validate(TrainJob, job.data, what);
      const paths = jobPaths(d, workerRegistry, what);
      return await trainRound({
        config,
        collection: d.collection,
        round: d.round,
        family: d.family,
        registry: paths.registry,
        init: paths.init,
        steps: d.steps,
        timeoutS: d.timeoutS ?? undefined,
        onLine: async (l) => {
          await job.log(l.line);
          if (l.event) await job.updateProgress(l.event);
        },
        onStage: async (message) => {
          await job.log(`[stage] ${message}`);
          await job.updateProgress({ event: 'stage', message });
        },
      });
    } catch (e) {
      const reason: TrainFailure = e instanceof TrainStageError ? e.reason : 'trainer-exit';
      throw new UnrecoverableError(`[${e instanceof TrainStageError ? reason : 'error'}] ${(e as Error).message}`);
    }
  };
}

/** A failed job's reason -> TrainStageError (the CLI's exit code); anything else stays a plain error. */
export function failureOf(failedReason: string): Error {
  const m = REASON.exec(failedReason);
  if (m) return new TrainStageError(m[1] as TrainFailure, failedReason.slice(m[0].length));
  return new Error(failedReason.replace(/^\[error\] /, ''));
}

/**
 * The CLI side: adds the round's job (replacing a finished or failed one of the same id, so a re-run
 * runs again and a finished round is the worker's quick no-op) or joins the one queued or running,
 * streams its progress to `onProgress` and resolves with the worker's result.
 */
export async function runTrainJob(
  redis: RedisConn,
  prefix: string,
  data: TrainJobInput,
  onProgress?: (p: TrainProgress) => void,
  onWaiting?: (state: string) => void,
): Promise<TrainResult> {
  const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix });
  const eventsConn = redis.duplicate();
  const events = new QueueEvents(TRAIN_QUEUE, { connection: eventsConn, prefix });
  try {
    await events.waitUntilReady();
    const id = trainJobId(data.collection, data.round, data.family ?? 'florence2');
    const listener = ({ jobId, data: p }: { jobId: string; data: unknown }) => {
      if (jobId === id && p && typeof p === 'object') onProgress?.(p as TrainProgress);
    };
    events.on('progress', listener);
    let job = await queue.getJob(id);
    const state = job ? await job.getState() : null;
    if (job && (state === 'completed' || state === 'failed')) {
      await job.remove();
      job = undefined;
    }
    if (!job) {
      job = await queue.add('train', data, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { count: KEEP_COMPLETED },
        removeOnFail: { count: KEEP_FAILED },
        stackTraceLimit: STACK_TRACE_LIMIT,
      });
    }
    onWaiting?.(
      state && state !== 'completed' && state !== 'failed'
        ? `joined job ${id} (${state})`
        : `queued job ${id} on ${TRAIN_QUEUE}`,
    );
    try {
      return (await job.waitUntilFinished(events)) as TrainResult;
    } catch (e) {
      throw failureOf((e as Error).message);
    }
  } finally {
    await events.close();
    await queue.close();
    eventsConn.disconnect();
  }
}

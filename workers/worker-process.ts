import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import type { EngineConfig } from '../schemas/config.ts';
import { ortThreadsFor } from '../schemas/ort-config.ts';
import { onJobFailed, shardProcessor, topUpAll } from '../pipeline/engine/job-runner.ts';
import { openEngine } from '../pipeline/engine/open-engine.ts';
import { DEFAULT_WORKER_POLICY, type WorkerPolicy } from '../pipeline/engine/policy.ts';
import { ALL_QUEUES, SPECIALIST_STAGES } from '../pipeline/engine/stages.ts';
import { createLogger } from '../pipeline/log.ts';
import { TRAIN_QUEUE, trainProcessor } from '../pipeline/train/train-job.ts';
import { registryDir } from '../specialists/registry/registry.ts';

/** Every queue a worker can serve: the shard stages' and the training stage's. */
const WORKER_QUEUES = [...ALL_QUEUES, TRAIN_QUEUE];

/** `fld.ocr` or `ocr` -> `fld.ocr`; anything else is refused with the list. */
export function queueNames(list: string): string[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith('fld.') ? s : `fld.${s}`));
  const unknown = names.filter((n) => !WORKER_QUEUES.includes(n));
  if (unknown.length || !names.length)
    throw new Error(
      `--queues: unknown queue ${unknown.join(', ') || '(none given)'} (known: ${WORKER_QUEUES.join(', ')})`,
    );
  return names;
}

/**
 * Refuses to start, in one line, when a specialist this worker serves asks for an execution provider
 * this machine's onnxruntime-node lacks and may not fall back to CPU (specialists/ort-providers.ts).
 */
async function checkProviders(config: EngineConfig, queues: readonly string[]): Promise<void> {
  const served = SPECIALIST_STAGES.filter((s) => queues.includes(s.queue)).map((s) => s.specialist);
  // onnxruntime loads here only for a worker whose config names providers
  if (!served.some((s) => ortThreadsFor(config.ort, s).executionProviders)) return;
  const { checkProvidersAtStart } = await import('../specialists/ort-providers.ts');
  checkProvidersAtStart(config.ort, served);
}

/**
 * A worker process: one BullMQ Worker per queue it serves, all sharing the process's models (loaded
 * once, on the first job that needs them). SIGTERM / SIGINT close the workers, which lets the jobs in
 * hand finish (their locks keep being renewed) and takes no new ones; then models and connections close.
 */
export async function runWorkerProcess(
  config: EngineConfig,
  opts: {
    queues: string[];
    concurrency: number;
    policy?: Partial<WorkerPolicy>;
    topUpEveryMs?: number;
    /** The registry train jobs write to; a job naming another path is refused (train-job.ts). */
    registry?: string;
  },
): Promise<void> {
  const log = createLogger({ name: 'fld-worker' });
  const policy = { ...DEFAULT_WORKER_POLICY, ...opts.policy };
  await checkProviders(config, opts.queues);
  const engine = await openEngine(config, { log });
  const { q } = engine;
  // BullMQ records the name on each job it takes (`processedBy`): which host and pid holds a job
  const workerName = `${hostname()}:${process.pid}`;
  const workers = opts.queues.map((name) => {
    // a training job runs for minutes to hours in a child process; BullMQ renews its lock meanwhile
    const processor =
      name === TRAIN_QUEUE
        ? trainProcessor(config, opts.registry ?? registryDir())
        : shardProcessor(engine, policy.lockDuration);
    const w = new Worker(name, processor, {
      name: workerName,
      connection: q.redis,
      prefix: config.queuePrefix,
      concurrency: opts.concurrency,
      lockDuration: policy.lockDuration,
      stalledInterval: policy.stalledInterval,
      maxStalledCount: policy.maxStalledCount,
    });
    w.on('failed', (job, err) => {
      log.warn({ job: job?.id, queue: name, err: err.message }, 'job failed');
      onJobFailed(q, job, err).catch((e: Error) => log.error({ err: e.message }, 'could not record a failure'));
    });
    w.on('completed', (job) => log.info({ job: job.id, queue: name }, 'job done'));
    w.on('error', (err) => log.error({ queue: name, err: err.message }, 'worker error'));
    return w;
  });
  // Every worker also keeps the windows full on a timer, so a shard claimed by a process that died
  // before adding its flow (or a missed failure event) is picked up without anyone running enqueue.
  let topping = false;
  const timer = setInterval(() => {
    if (topping) return;
    topping = true;
    topUpAll(q)
      .catch((e: Error) => log.warn({ err: e.message }, 'top-up failed'))
      .finally(() => (topping = false));
  }, opts.topUpEveryMs ?? 5000);
  log.info(
    { queues: opts.queues, concurrency: opts.concurrency, prefix: config.queuePrefix, ...policy },
    'worker ready',
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'closing: finishing the jobs in hand');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  clearInterval(timer);
  await Promise.all(workers.map((w) => w.close()));
  await engine.close();
  log.info('closed');
}

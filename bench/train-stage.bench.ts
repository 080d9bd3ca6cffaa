/**
 * What the training stage adds around the trainer: the reference trainer run directly on an export
 * (anchor), vs `trainRound` in process (export + trainer + model check + registration + marker), vs the
 * same through a job on `fld.train` (an in-process BullMQ Worker with the real processor, `runTrainJob`
 * waiting on it). Input: the export tests' fixture round (4 images), `--steps` steps of the reference
 * trainer at batch 4, no fp16, one thread. `node --import tsx bench/train-stage.bench.ts --steps 5`
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { exportRound } from '../pipeline/export/export-round.ts';
import { connectRedis } from '../pipeline/engine/redis.ts';
import { openStorage } from '../pipeline/storage/open-storage.ts';
import { trainerArgv } from '../pipeline/train/command.ts';
import { runTrainJob, TRAIN_QUEUE, trainProcessor } from '../pipeline/train/train-job.ts';
import { REPO_ROOT, trainRound } from '../pipeline/train/train-round.ts';
import { COLLECTION, sandbox, TINY_TRAINER } from '../test/train/helpers.ts';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const STEPS = arg('--steps', 5);
const time = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};
/** Wall seconds and the result's own trainer_seconds, so the stage's overhead is read from the same run. */
const timed = async (f: () => Promise<{ trainer_seconds: number }>) => {
  const t0 = performance.now();
  const r = await f();
  return { s: (performance.now() - t0) / 1000, trainer: r.trainer_seconds };
};

const sb = await sandbox('bench');
const config = sb.config(TINY_TRAINER);
try {
  // anchor: the trainer alone on an export made beforehand (not timed)
  const exportDir = join(sb.root, 'export');
  const out = openStorage(exportDir);
  await exportRound({
    storage: sb.storage,
    collection: COLLECTION,
    round: 0,
    out: { storage: out, prefix: '' },
    format: 'jsonl',
    embed: true,
    config: config.export,
  });
  await out.close();
  const argv = trainerArgv(config.trainCommand, {
    export: exportDir,
    out: join(sb.root, 'direct-model'),
    init: null,
    steps: STEPS,
  });
  const direct = await time(async () => {
    const r = spawnSync(argv[0], argv.slice(1), { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`trainer failed: ${r.stderr}`);
  });

  const local = await timed(() =>
    trainRound({ config, storage: sb.storage, collection: COLLECTION, round: 0, registry: sb.registry, steps: STEPS }),
  );
  rmSync(join(sb.storageDir, COLLECTION, 'round-0', '_train.json'));

  const prefix = `{fldbench-train-${process.pid}}`;
  const redis = await connectRedis(config.redis);
  const workerConn = redis.duplicate();
  const worker = new Worker(TRAIN_QUEUE, trainProcessor(config), { connection: workerConn, prefix });
  let queued = { s: 0, trainer: 0 };
  try {
    queued = await timed(() =>
      runTrainJob(redis, prefix, {
        collection: COLLECTION,
        round: 0,
        registry: sb.registry,
        init: null,
        steps: STEPS,
        timeoutS: null,
      }),
    );
  } finally {
    await worker.close();
    workerConn.disconnect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  const resumed = await time(() =>
    trainRound({ config, storage: sb.storage, collection: COLLECTION, round: 0, registry: sb.registry, steps: STEPS }),
  );

  // the shared cores' load moves the trainer's time a lot between runs; the overhead column is the
  // stage's wall time minus its own trainer's, both from the same run
  const row = (name: string, r: { s: number; trainer: number }) =>
    console.log(
      `${name.padEnd(42)} | ${r.s.toFixed(2).padStart(6)} s (its trainer ${r.trainer.toFixed(2)} s, overhead ${(r.s - r.trainer).toFixed(2)} s) | trainer alone ${direct.toFixed(2)} s | ratio ${(r.s / direct).toFixed(2)}`,
    );
  console.log(`training stage, fixture round (4 images), ${STEPS} steps`);
  row('trainRound in process (fld train --local)', local);
  row('job on fld.train (fld train + worker)', queued);
  row('re-run with _train.json present (no-op)', { s: resumed, trainer: 0 });
} finally {
  await sb.storage.close();
  rmSync(sb.root, { recursive: true, force: true });
}

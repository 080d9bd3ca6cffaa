// @part integration
/**
 * `fld train` through BullMQ: real `fld worker --queues train` and `fld train` processes on a fresh
 * queue prefix. The reference trainer's run is streamed into the job's log and to the CLI, the model
 * is registered and `--json` prints it; a second `fld train` is the worker's no-op; a trainer that
 * exits 3 fails the job, `fld train` exits 1 naming the failure, and nothing is registered.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { layout } from '../../pipeline/layout.ts';
import { openStorage } from '../../pipeline/storage/open-storage.ts';
import { jobPaths, TRAIN_QUEUE, TrainJob, trainJobId } from '../../pipeline/train/train-job.ts';
import { SHIPPED_MODELS_DIR } from '../../specialists/registry/registry.ts';
import { writeFixtureRound } from '../export/fixture-round.ts';
import { fld, makeEnv, REDIS, type Env } from '../pipeline/engine/harness.ts';
import { COLLECTION, FIXTURES, TINY_TRAINER } from './helpers.ts';

const envs: Env[] = [];
after(async () => {
  for (const e of envs) await e.close();
});

/** A harness env whose storage holds the fixture round, and a worker serving fld.train with `trainCommand`. */
async function trainEnv(trainCommand: string): Promise<Env> {
  const env = await makeEnv({ trainCommand, export: { splits: { train: 0.5, valid: 0.5, test: 0 } } });
  envs.push(env);
  const storage = openStorage(env.config.storage);
  await writeFixtureRound(storage, join(env.dir, 'images'));
  await storage.close();
  env.startWorker('train', ['--registry', join(env.dir, 'models')]);
  return env;
}

const train = (env: Env, ...extra: string[]) =>
  fld(
    [
      'train',
      '--collection',
      COLLECTION,
      '--round',
      '0',
      '--config',
      env.configFile,
      '--registry',
      join(env.dir, 'models'),
      ...extra,
    ],
    { cwd: env.dir },
  ).done;

test('fld train queues one job that a worker trains, streams and registers; a second run is a no-op', async () => {
  const env = await trainEnv(TINY_TRAINER);
  const r = await train(env, '--steps', '5', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.model, 'demo-round-0');
  assert.equal(out.dir, join(env.dir, 'models', 'demo-round-0'));
  assert.equal(out.metrics.steps, 5);
  assert.equal(out.resumed, false);
  assert.ok(existsSync(join(out.dir, 'fld-model.json')));
  assert.ok(existsSync(join(env.config.storage, layout.train(COLLECTION, 0))));
  // the CLI saw the trainer's progress through the job
  assert.match(r.stderr, /train: step 5\/5 loss/);
  // the job's log holds every line the trainer printed
  const redis = new Redis(REDIS, { maxRetriesPerRequest: null });
  const q = new Queue(TRAIN_QUEUE, { connection: redis, prefix: env.prefix });
  const { logs } = await q.getJobLogs(trainJobId(COLLECTION, 0));
  await q.close();
  redis.disconnect();
  const events = logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).event);
  assert.equal(events.filter((e) => e === 'step').length, 5);
  assert.ok(events.includes('done'));

  const again = await train(env, '--steps', '5');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), 'demo-round-0');
  assert.match(again.stderr, /already trained/);
});

test('a trainer that exits 3 fails the job: fld train exits 1 saying so, nothing registered, no marker', async () => {
  const env = await trainEnv(`/bin/sh ${join(FIXTURES, 'exit3.sh')} {out}`);
  const r = await train(env, '--steps', '5');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the trainer exited with code 3/);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(join(env.config.storage, layout.train(COLLECTION, 0))));
  assert.deepEqual(
    readdirSync(join(env.dir, 'models')).filter((n) => !n.startsWith('.')),
    [],
  );
});

test('bad input exits 2 naming it, through the job (no such round) and with --local (no such init model)', async () => {
  const env = envs[1] ?? (await trainEnv(`/bin/sh ${join(FIXTURES, 'exit3.sh')} {out}`));
  const queued = await fld(
    [
      'train',
      '--collection',
      COLLECTION,
      '--round',
      '4',
      '--config',
      env.configFile,
      '--registry',
      join(env.dir, 'models'),
    ],
    { cwd: env.dir },
  ).done;
  assert.equal(queued.code, 2, queued.stderr);
  assert.match(queued.stderr, /round 4/);
  const local = await train(env, '--local', '--init', 'no-such-model');
  assert.equal(local.code, 2, local.stderr);
  assert.match(local.stderr, /--init no-such-model is neither a model registered/);
  const steps = await train(env, '--local', '--steps', '0');
  assert.equal(steps.code, 2);
  assert.match(steps.stderr, /--steps must be a whole number >= 1, got "0"/);
});

test("a job that names a registry or an init path outside the worker's registry fails as bad input, and nothing is trained", async () => {
  const env = envs[1] ?? (await trainEnv(TINY_TRAINER));
  const outside = join(env.dir, 'elsewhere');
  const otherRegistry = await train(env, '--registry', outside, '--steps', '5');
  assert.equal(otherRegistry.code, 2, otherRegistry.stderr);
  assert.match(otherRegistry.stderr, /registry .*elsewhere is not this worker's registry .*models/);
  assert.ok(!existsSync(outside), 'nothing written to the job-chosen registry');
  const initPath = await train(env, '--init', '/etc', '--steps', '5');
  assert.equal(initPath.code, 2, initPath.stderr);
  assert.match(initPath.stderr, /init \/etc is outside this worker's registry/);
  const sneaky = await train(env, '--init', '../elsewhere', '--steps', '5');
  assert.equal(sneaky.code, 2, sneaky.stderr);
  assert.match(sneaky.stderr, /init \.\.\/elsewhere is outside this worker's registry/);
  assert.ok(!existsSync(join(env.config.storage, layout.train(COLLECTION, 0))), 'no training marker');
});

test('a train job may start from a model in the worker registry or one the installation ships, by name or path', () => {
  const reg = join(tmpdir(), '.fld', 'models');
  const job = (init: string | null, registry: string | null = null) =>
    TrainJob.parse({ collection: 'c', round: 0, init, registry });
  assert.equal(
    jobPaths(job(join(SHIPPED_MODELS_DIR, 'demo-florence2')), reg, 'j').init,
    join(SHIPPED_MODELS_DIR, 'demo-florence2'),
  );
  assert.equal(jobPaths(job(join(reg, 'c-round-0')), reg, 'j').registry, reg);
  assert.equal(jobPaths(job('c-round-0', reg), reg, 'j').init, 'c-round-0');
  assert.throws(() => jobPaths(job(SHIPPED_MODELS_DIR), reg, 'j'), /outside this worker's registry/);
  assert.throws(() => jobPaths(job(join(SHIPPED_MODELS_DIR, '..', 'test')), reg, 'j'), /outside/);
});

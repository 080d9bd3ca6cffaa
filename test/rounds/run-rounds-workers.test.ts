// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listModels } from '../../specialists/registry/registry.ts';
import { openStorage } from '../../pipeline/storage/open-storage.ts';
import { TRAIN_QUEUE } from '../../pipeline/train/train-job.ts';
import { fld, makeEnv, makeWorld, roundRows, type Env, type Run } from '../pipeline/engine/harness.ts';
import { PYTHON } from '../helpers/florence2-tiny.ts';

/**
 * `fld run --rounds 1 --workers` on a 16-image world through a real `fld worker` process (merge,
 * detect, caption, train) on the shared Redis under a queue prefix of its own: the run is SIGKILLed
 * while its training job is active on the worker, then run again; the second run finds round 0 done,
 * joins (or finds finished) the same training and refines round 1. Every round's rows then equal
 * those of the in-process `fld run --rounds 1` on the same world, with no duplicate row, and the model
 * is registered once.
 */
const TRAIN = `${PYTHON} -m training.train --export {export} --out {out} --init {init} --steps {steps} --batch 4 --no-fp16 --threads 1 --tasks <CAPTION>,<OD>`;
// 16 images: half of them in valid, so both splits have rows
const CONFIG = { shardSize: 8, trainCommand: TRAIN, export: { splits: { train: 0.5, valid: 0.5, test: 0 } } };

let world: { dir: string; manifest: string };
let env: Env;
let local: Run;
let killed: Run;
let resumed: Run;
let activeSeen = false;
const registry = () => join(env.dir, 'models');
const localData = () => join(world.dir, 'local-data');
const args = (config: string, reg: string, extra: string[] = []) => [
  'run',
  world.manifest,
  '--collection',
  'demo',
  '--rounds',
  '1',
  '--config',
  config,
  '--registry',
  reg,
  '--train-steps',
  '3',
  '--annotations-only',
  ...extra,
];

before(async () => {
  world = await makeWorld(16, 5, ['--boxes-fraction', '0.5']);
  env = await makeEnv(CONFIG);
  const localConfig = join(world.dir, 'local.config.json');
  writeFileSync(localConfig, JSON.stringify({ ...CONFIG, storage: localData() }));
  const worker = env.startWorker('merge,detect,caption,train', ['--registry', registry()]);
  local = await fld(args(localConfig, join(world.dir, 'local-models')), { cwd: world.dir }).done;

  const first = fld(args(env.configFile, registry(), ['--workers']), { cwd: env.dir });
  // SIGKILL once the training is running on the worker (or, if it is quick, once its marker is there)
  const trainMarker = join(env.dir, 'data', 'demo', 'round-0', '_train.json');
  for (let i = 0; i < 1200 && first.child.exitCode === null; i++) {
    if ((await env.activeJobs(TRAIN_QUEUE)).length > 0) {
      activeSeen = true;
      break;
    }
    if (existsSync(trainMarker)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  first.child.kill('SIGKILL');
  killed = await first.done;
  resumed = await fld(args(env.configFile, registry(), ['--workers']), { cwd: env.dir }).done;
  assert.equal(worker.exitCode, null, 'the worker is still serving');
});
after(async () => {
  await env?.close();
  if (world) rmSync(world.dir, { recursive: true, force: true });
});

test('the in-process run and the killed run: the kill landed during the training, after round 0', () => {
  assert.equal(local.code, 0, local.stderr);
  assert.equal(
    killed.signal,
    'SIGKILL',
    `the first --workers run was still running when killed: ${killed.stdout}${killed.stderr}`,
  );
  assert.match(killed.stdout, /^done: round 0 /m);
  assert.doesNotMatch(killed.stdout, /^done: train/m, 'killed before the training step ended');
  assert.ok(activeSeen, 'the train job was active on the worker at the kill');
});

test('the re-run finds round 0 done, gets the same training, refines round 1 on the workers', () => {
  assert.equal(resumed.code, 0, resumed.stderr);
  const done = resumed.stdout.split('\n').filter((l) => l.startsWith('done'));
  assert.equal(done[0], 'done before: round 0 (specialists, filters, merge)');
  // never trained twice: the same job was joined while it ran, or it had finished and the job queued
  // again found its marker (the worker's no-op, "done before")
  const joined = /train: joined job demo\.0\.train \(active\)/.test(resumed.stdout);
  assert.ok(joined || /train: queued job demo\.0\.train/.test(resumed.stdout), resumed.stdout);
  assert.match(
    done[1]!,
    joined ? /^done: train on round 0 -> demo-round-0 \(/ : /^done before: train on round 0 -> demo-round-0$/,
  );
  assert.match(done[2]!, /^done: refine round 1 with demo-round-0 \(/);
  assert.match(resumed.stdout, /round 1 runs on workers serving: .*caption/);
});

test('every round has its manifest; rows equal the in-process run, none duplicated', async () => {
  const a = openStorage(join(env.dir, 'data'));
  const b = openStorage(localData());
  try {
    for (const round of [0, 1]) {
      assert.ok(
        existsSync(join(env.dir, 'data', 'demo', `round-${round}`, '_manifest.json')),
        `round ${round} manifest`,
      );
      const workers = await roundRows(a, 'demo', round);
      const inProcess = await roundRows(b, 'demo', round);
      // the refine round names its model by folder; the two runs' registries differ only in that path
      const norm = (rows: Record<string, string[]>) =>
        JSON.parse(JSON.stringify(rows).replaceAll(join(world.dir, 'local-models'), registry()));
      assert.deepEqual(workers, norm(inProcess), `round ${round} rows`);
      for (const [kind, rows] of Object.entries(workers))
        assert.equal(new Set(rows).size, rows.length, `round ${round} ${kind}: no duplicate row`);
      assert.ok(Object.values(workers).flat().length > 16, `round ${round} has annotation rows`);
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('the model is registered once, and it is the one the training marker names', async () => {
  const models = await listModels(registry());
  assert.deepEqual(
    models.map((m) => m.dir),
    [join(registry(), 'demo-round-0')],
  );
  const marker = JSON.parse(readFileSync(join(env.dir, 'data', 'demo', 'round-0', '_train.json'), 'utf8'));
  assert.equal(marker.model, 'demo-round-0');
  assert.equal(marker.dir, join(registry(), 'demo-round-0'));
});

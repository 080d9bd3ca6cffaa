// @part integration
/**
 * Specialist self-training, the detector: round 0 of a tiny demo world (the shipped demo detector
 * alone, through `fld run`), then `fld train --family detector` with the reference trainer's default
 * detector command (5 steps, started from the detector round 0 ran) registers `w-detector-round-0` with
 * its lineage and `_train-detector.json`; a second run, in this process, through `trainDetectorRound` or
 * as a job on `fld.train` served by a real `fld worker`, is a no-op; `fld models list` shows the lineage
 * and the shipped and built-in models; a refinement round with `refine.retrain: ["detector"]` runs the
 * retrained detector in the detector slot (a held-out collection names it with --detector), and
 * without it the error names the command that trains it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineConfig } from '../../schemas/config.ts';
import type { RegionTextRecord } from '../../schemas/records.ts';
import { defaultAdapterFactory } from '../../pipeline/engine/adapters.ts';
import { readRoundPlan } from '../../pipeline/engine/plan-files.ts';
import { refinePlanFor } from '../../pipeline/engine/refine-plan.ts';
import { splitFor } from '../../pipeline/export/draw.ts';
import { layout } from '../../pipeline/layout.ts';
import { readShard } from '../../pipeline/shards/storage-io.ts';
import { openStorage, type OpenedStorage } from '../../pipeline/storage/open-storage.ts';
import { DEFAULT_DETECTOR_TRAIN_COMMAND, trainerArgv } from '../../pipeline/train/command.ts';
import { TRAIN_QUEUE, trainJobId } from '../../pipeline/train/train-job.ts';
import { trainDetectorRound } from '../../pipeline/train/train-round.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { readManifest } from '../../specialists/registry/model-folder.ts';
import { fld, makeEnv, makeWorld, type Env } from '../pipeline/engine/harness.ts';
import { REPO_ROOT } from './helpers.ts';

const DEMO_DETECTOR = join(REPO_ROOT, 'models/demo-detector');
const DEMO_FLORENCE2 = join(REPO_ROOT, 'models/demo-florence2');
// 8 images, half in valid, and a split seed that gives both splits <OD> rows (chosen once the ids are
// known: they come from the world's paths, which are new each run); the trainer command is the default
const CONFIG = {
  shardSize: 4,
  specialists: { detector: DEMO_DETECTOR },
  export: { splits: { train: 0.5, valid: 0.5, test: 0 } },
  refine: { retrain: ['detector'] },
};

let world: { dir: string; manifest: string };
let env: Env;
let storage: OpenedStorage;
let first: Record<string, unknown>;
const registry = () => join(env.dir, 'models');
const modelDir = () => join(registry(), 'w-detector-round-0');
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function ok(args: string[], cwd = env.dir) {
  const r = await fld(args, { cwd }).done;
  assert.equal(r.code, 0, `fld ${args.join(' ')}: ${r.stderr}`);
  return r;
}

before(async () => {
  world = await makeWorld(8, 3);
  env = await makeEnv(CONFIG);
  storage = openStorage(env.config.storage);
  await ok(['run', world.manifest, '--collection', 'w', '--config', env.configFile]);
  await seedBothSplits();
  const r = await ok([
    'train',
    '--family',
    'detector',
    '--collection',
    'w',
    '--round',
    '0',
    '--local',
    '--config',
    env.configFile,
    '--registry',
    registry(),
    '--steps',
    '5',
    '--json',
  ]);
  first = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
});
/** Writes into the config the first export seed that puts round 0's images in both splits. */
async function seedBothSplits() {
  const ids: string[] = [];
  for (const shard of [0, 1])
    for (const im of (await readShard(storage, layout.images('w', shard), 'image')).rows) ids.push(im.image_id);
  assert.equal(ids.length, 8);
  let seed = 0;
  while (new Set(ids.map((id) => splitFor(id, CONFIG.export.splits, seed))).size < 2) seed++;
  const raw = JSON.parse(readFileSync(env.configFile, 'utf8'));
  raw.export = { ...raw.export, seed };
  writeFileSync(env.configFile, JSON.stringify(raw));
  env.config = EngineConfig.parse(raw);
}

after(async () => {
  await storage?.close();
  await env?.close();
  if (world) rmSync(world.dir, { recursive: true, force: true });
});

test('the default detector command is the reference trainer with --family detector', () => {
  assert.deepEqual(
    trainerArgv(null, { export: '/e', out: '/o', init: '/i', steps: 5 }, DEFAULT_DETECTOR_TRAIN_COMMAND),
    [
      '/usr/bin/python3',
      '-m',
      'training.train',
      '--family',
      'detector',
      '--export',
      '/e',
      '--out',
      '/o',
      '--init',
      '/i',
      '--steps',
      '5',
    ],
  );
  assert.equal(trainJobId('w', 0, 'detector'), 'w.0.train-detector');
  assert.equal(trainJobId('w', 0), 'w.0.train');
});

test("fld train --family detector registers <C>-detector-round-<R> from the round's detector, with its lineage and _train-detector.json", async () => {
  assert.equal(first.model, 'w-detector-round-0');
  assert.equal(first.family, 'detector');
  assert.equal(first.resumed, false);
  assert.equal(first.init, DEMO_DETECTOR, 'it fine-tunes the detector round 0 ran');
  const m = await readManifest(modelDir());
  assert.equal(m.family, 'detector');
  assert.deepEqual(m.classes, (await readManifest(DEMO_DETECTOR)).classes, 'the classes of its init');
  assert.deepEqual(m.trained_on, { collection: 'w', round: 0 });
  assert.equal(m.init, DEMO_DETECTOR);
  const marker = JSON.parse(readFileSync(join(env.config.storage, layout.trainDetector('w', 0)), 'utf8'));
  assert.equal(marker.model, 'w-detector-round-0');
  assert.equal(marker.family, 'detector');
  assert.equal(marker.fld_model_sha256, sha(join(modelDir(), 'fld-model.json')));
  assert.equal(marker.metrics.steps, 5);
  assert.match(marker.check, /^\d+ boxes$/);
  assert.ok(
    !existsSync(join(env.config.storage, layout.train('w', 0))),
    'the florence2 training marker is not written',
  );
  // the detector trained on <OD> rows only
  assert.equal(JSON.parse(readFileSync(join(modelDir(), 'metrics.json'), 'utf8')).family, 'detector');
  assert.deepEqual(readdirSync(registry()), ['w-detector-round-0'], 'nothing else left in the registry');
});

test('a second run is a no-op: in this process, through trainDetectorRound, and as a job on fld.train', async () => {
  const manifest = join(modelDir(), 'fld-model.json');
  const was = statSync(manifest).mtimeMs;
  const local = JSON.parse(
    (
      await ok([
        'train',
        '--family',
        'detector',
        '--collection',
        'w',
        '--round',
        '0',
        '--local',
        '--config',
        env.configFile,
        '--registry',
        registry(),
        '--json',
      ])
    ).stdout.trim(),
  );
  assert.equal(local.resumed, true);
  const direct = await trainDetectorRound({
    config: env.config,
    storage,
    collection: 'w',
    round: 0,
    registry: registry(),
  });
  assert.equal(direct.resumed, true);
  assert.equal(direct.model, 'w-detector-round-0');
  env.startWorker('train', ['--registry', registry()]);
  const queued = JSON.parse(
    (
      await ok([
        'train',
        '--family',
        'detector',
        '--collection',
        'w',
        '--round',
        '0',
        '--config',
        env.configFile,
        '--registry',
        registry(),
        '--json',
      ])
    ).stdout.trim(),
  );
  assert.equal(queued.resumed, true, 'the worker trained the detector family: it found its marker');
  assert.equal(await env.jobState(TRAIN_QUEUE, 'w.0.train-detector'), 'completed');
  assert.equal(statSync(manifest).mtimeMs, was, 'the registered model is untouched');
});

test("fld models list shows each model's lineage, and the shipped and built-in models", async () => {
  const text = (await ok(['models', 'list', '--registry', registry()], REPO_ROOT)).stdout.split('\n');
  assert.match(text[0], /^name\s+family\s+version\s+origin\s+trained on\s+init\s+files\s+dir\s+for$/);
  assert.match(
    text.find((l) => l.startsWith('w-detector-round-0 '))!,
    /detector\s+0\s+registry\s+w round 0\s+models\/demo-detector\s+3\s+\S+\s+trained on w round 0: detector: boxes of 10 classes/,
  );
  assert.match(
    text.find((l) => l.startsWith('demo-detector '))!,
    /detector\s+1\s+shipped\s+-\s+-\s+3\s+models\/demo-detector\s+demo world only: detector: boxes of 10 classes/,
  );
  assert.match(text.find((l) => l.startsWith('demo-florence2 '))!, /florence2\s+1\s+shipped\s+-\s+-/);
  assert.match(text.find((l) => l.startsWith('ppocr-v4 '))!, /ocr\s+\S+\s+built-in\s+-\s+-/);
  const json = JSON.parse((await ok(['models', 'list', '--registry', registry(), '--json'])).stdout);
  assert.deepEqual(
    json.models.map((m: { manifest: { name: string }; lineage: unknown }) => [m.manifest.name, m.lineage]),
    [['w-detector-round-0', { collection: 'w', round: 0, init: DEMO_DETECTOR }]],
  );
  assert.deepEqual(
    json.shipped.map((m: { manifest: { name: string } }) => m.manifest.name),
    ['demo-detector', 'demo-florence2'],
  );
  assert.deepEqual(
    json.builtin.map((m: { name: string }) => m.name),
    ['ppocr-v4'],
  );
});

test('refine.retrain ["detector"]: the retrained detector runs in the detector slot instead of the model\'s <OD>', async () => {
  const r = await ok([
    'refine',
    '--collection',
    'w',
    '--round',
    '1',
    '--model',
    DEMO_FLORENCE2,
    '--local',
    '--config',
    env.configFile,
    '--registry',
    registry(),
    '--json',
  ]);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.ok(
    summary.skipped.includes('<OD>: specialist detector retrained on round 0 runs in its slot'),
    summary.skipped.join('; '),
  );
  const plan = (await readRoundPlan(storage, 'w', 1))!;
  assert.equal(plan.specialists.detector, modelDir());
  assert.deepEqual(plan.refine!.retrained, { detector: modelDir() });
  assert.equal(plan.refine!.tasks.detector, undefined, 'the Florence-2 model runs no <OD>');
  assert.equal(plan.specialists.region_caption, DEMO_FLORENCE2, "the model describes the retrained detector's boxes");
  assert.ok((await defaultAdapterFactory('detector', plan.specialists.detector, 1)) instanceof DetectorAdapter);
  const raw = (await readShard(storage, layout.raw('w', 1, 'detector', 0), 'region_text')).rows as RegionTextRecord[];
  assert.ok(
    raw.length > 0 && raw.every((x) => x.source === 'w-detector-round-0@0'),
    "round 1's boxes come from the retrained detector",
  );
});

test("a held-out collection names the train collection's detector; without a trained detector the error names the command", async () => {
  await ok(['run', world.manifest, '--collection', 'h', '--config', env.configFile]);
  const refused = await fld(
    [
      'refine',
      '--collection',
      'h',
      '--round',
      '1',
      '--model',
      DEMO_FLORENCE2,
      '--local',
      '--config',
      env.configFile,
      '--registry',
      registry(),
    ],
    { cwd: env.dir },
  ).done;
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /refine\.retrain includes detector, but the registry .* has no h-detector-round-0; train it first with `fld train --family detector --collection h --round 0`/,
  );
  assert.equal(await readRoundPlan(storage, 'h', 1), null, 'nothing planned');
  await assert.rejects(
    refinePlanFor(storage, 'h', 1, env.config, {
      model: DEMO_FLORENCE2,
      registry: registry(),
      detector: DEMO_FLORENCE2,
    }),
    /the detector slot needs a detector model/,
  );
  const noRetrain = EngineConfig.parse({ ...env.config, refine: {} });
  await assert.rejects(
    refinePlanFor(storage, 'h', 1, noRetrain, {
      model: DEMO_FLORENCE2,
      registry: registry(),
      detector: 'w-detector-round-0',
    }),
    /refine.retrain does not include detector/,
  );
  const p = await refinePlanFor(storage, 'h', 1, env.config, {
    model: DEMO_FLORENCE2,
    registry: registry(),
    detector: 'w-detector-round-0',
  });
  assert.equal(p.plan.specialists.detector, modelDir());
  assert.ok(p.skipped.includes('<OD>: specialist detector retrained on round 0 runs in its slot'));
});

test('config refine.retrain: only detector, and not also in refine.specialists', () => {
  assert.deepEqual(EngineConfig.parse({}).refine.retrain, []);
  assert.equal(EngineConfig.parse({}).refine.trainCommands.detector, null);
  assert.throws(() => EngineConfig.parse({ refine: { retrain: ['ocr'] } }), /retrain/);
  assert.throws(
    () =>
      EngineConfig.parse({
        specialists: { detector: DEMO_DETECTOR },
        refine: { retrain: ['detector'], specialists: ['detector'] },
      }),
    /in both refine.retrain and refine.specialists/,
  );
  assert.throws(() => EngineConfig.parse({ refine: { trainCommands: { detectr: 'x {out}' } } }), /detectr/);
});

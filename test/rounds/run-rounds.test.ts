// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roundsSteps } from '../../pipeline/rounds/run-rounds.ts';
import { parseQualityTable } from '../../pipeline/stats/quality-table.ts';
import { fld, makeWorld, type Run } from '../pipeline/engine/harness.ts';
import { PYTHON } from '../helpers/florence2-tiny.ts';

/**
 * `fld run --rounds 1` on a 16-image world: round 0 from the collection's own annotations (alt-texts,
 * human boxes), the reference trainer for 3 steps on <CAPTION>,<OD>, refinement round 1 with that
 * model, quality per round; then a re-run does nothing, and a run cut off inside round 1 resumes there.
 */
let world: { dir: string; manifest: string };
let data: string;
let config: string;
let registry: string;
let first: Run;
const rounds = () =>
  fld(
    [
      'run',
      world.manifest,
      '--collection',
      'demo',
      '--rounds',
      '1',
      '--config',
      config,
      '--registry',
      registry,
      '--train-steps',
      '3',
      '--world',
      world.dir,
      '--annotations-only',
    ],
    { cwd: world.dir },
  ).done;

before(async () => {
  world = await makeWorld(16, 5, ['--boxes-fraction', '0.5']);
  data = join(world.dir, 'data');
  registry = join(world.dir, 'models');
  config = join(world.dir, 'fld.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      storage: data,
      shardSize: 8,
      trainCommand: `${PYTHON} -m training.train --export {export} --out {out} --init {init} --steps {steps} --batch 4 --no-fp16 --threads 1 --tasks <CAPTION>,<OD>`,
      // 16 images: half of them in valid, so both splits have rows
      export: { splits: { train: 0.5, valid: 0.5, test: 0 } },
    }),
  );
  first = await rounds();
});
after(() => rmSync(world.dir, { recursive: true, force: true }));

test('roundsSteps: round 0, then train r and refine r+1 for each round', () => {
  assert.deepEqual(roundsSteps(0), [{ kind: 'round0', round: 0 }]);
  assert.deepEqual(roundsSteps(2), [
    { kind: 'round0', round: 0 },
    { kind: 'train', round: 0 },
    { kind: 'refine', round: 1 },
    { kind: 'train', round: 1 },
    { kind: 'refine', round: 2 },
  ]);
  assert.throws(() => roundsSteps(-1), /--rounds must be an integer >= 0/);
});

test('fld run --rounds 1: round 0, a training, round 1 refined with the trained model, quality per round', () => {
  assert.equal(first.code, 0, first.stderr);
  const done = first.stdout.split('\n').filter((l) => l.startsWith('done'));
  assert.deepEqual(
    done.map((l) => l.replace(/ \([\d.]+ s\)$/, '')),
    [
      'done: round 0 (specialists, filters, merge)',
      'done: train on round 0 -> demo-round-0',
      'done: refine round 1 with demo-round-0',
    ],
  );
  const train = JSON.parse(readFileSync(join(data, 'demo', 'round-0', '_train.json'), 'utf8'));
  assert.equal(train.model, 'demo-round-0');
  assert.equal(train.metrics.steps, 3);
  const plan = JSON.parse(readFileSync(join(data, 'demo', 'round-1', '_plan.json'), 'utf8'));
  assert.equal(plan.refine.previous, 0);
  assert.equal(plan.refine.model, join(registry, 'demo-round-0'));
  assert.deepEqual(
    Object.keys(plan.specialists).sort(),
    ['captioner', 'detector'],
    'the model fills the slots of the tasks it was trained on',
  );
  const manifest = JSON.parse(readFileSync(join(data, 'demo', 'round-1', '_manifest.json'), 'utf8'));
  assert.deepEqual(manifest.shards, [0, 1]);
  // the quality table: a column per round, 16 images in each
  const table = parseQualityTable(first.stdout);
  assert.deepEqual(table.labels, ['round 0', 'round 1']);
  assert.deepEqual(table.figures.get('images'), [16, 16]);
  // the human boxes of round 0 come from the world (truth-derived), so quality leaves them out
  assert.ok(table.figures.get('brief caption F1')!.every((v) => typeof v === 'number'));
});

test('a second run finds every step done and changes nothing', async () => {
  const files = ['round-0/_manifest.json', 'round-0/_train.json', 'round-1/_manifest.json'].map((f) =>
    join(data, 'demo', f),
  );
  const before = files.map((f) => readFileSync(f, 'utf8'));
  const again = await rounds();
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(
    again.stdout.split('\n').filter((l) => l.startsWith('done')),
    [
      'done before: round 0 (specialists, filters, merge)',
      'done before: train on round 0 -> demo-round-0',
      'done before: refine round 1 with demo-round-0',
    ],
  );
  assert.deepEqual(
    files.map((f) => readFileSync(f, 'utf8')),
    before,
  );
});

test('a run cut off inside round 1 (one merge and the manifest missing) resumes there, keeping the finished stages', async () => {
  const r1 = join(data, 'demo', 'round-1');
  const counts = JSON.parse(readFileSync(join(r1, '_manifest.json'), 'utf8')).counts;
  const kept = join(r1, '_done', 'annotate_captioner', 'shard-00001.json');
  const keptAt = statSync(kept).mtimeMs;
  rmSync(join(r1, '_manifest.json'));
  rmSync(join(r1, '_done', 'merge', 'shard-00001.json'));
  const again = await rounds();
  assert.equal(again.code, 0, again.stderr);
  const done = again.stdout.split('\n').filter((l) => l.startsWith('done'));
  assert.deepEqual(done.slice(0, 2), [
    'done before: round 0 (specialists, filters, merge)',
    'done before: train on round 0 -> demo-round-0',
  ]);
  assert.match(done[2]!, /^done: refine round 1 with demo-round-0 \(/);
  assert.equal(statSync(kept).mtimeMs, keptAt, 'the captioner stage of shard 1 was not run again');
  assert.deepEqual(JSON.parse(readFileSync(join(r1, '_manifest.json'), 'utf8')).counts, counts);
});

test('bad --rounds, or --workers without --rounds, stops before any work', async () => {
  const r = await fld(['run', world.manifest, '--collection', 'other', '--rounds', 'two', '--config', config], {
    cwd: world.dir,
  }).done;
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rounds must be a whole number >= 0, got "two"/);
  const w = await fld(['run', world.manifest, '--collection', 'other', '--workers', '--config', config], {
    cwd: world.dir,
  }).done;
  assert.equal(w.code, 2);
  assert.match(w.stderr, /--workers goes with --rounds K/);
  assert.equal(existsSync(join(data, 'other')), false, 'nothing written');
});

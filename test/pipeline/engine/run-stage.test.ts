// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runStage } from '../../../pipeline/engine/run-stage.ts';
import { shardMarker, type Stage, type StageContext } from '../../../pipeline/engine/stages.ts';
import type { RoundPlan } from '../../../schemas/round-plan.ts';
import { readDoneMarker } from '../../../pipeline/shards/round-files.ts';
import { quiet } from './harness.ts';
import { MemoryStorage } from '../../helpers/memory-storage.ts';

/**
 * The stage contract as every executor runs it (docs/architecture.md, "The stage contract"): the
 * executor, not the stage, checks the marker the stage declares, runs the work and writes the marker
 * after it; a stage run twice does its work once, and a work that fails leaves no marker.
 */
const plan = { collection: 'c', round: 0 } as RoundPlan;
const ctxOf = (storage: MemoryStorage, shard: number): StageContext => ({
  storage,
  collection: 'c',
  round: 0,
  shard,
  plan,
  log: quiet,
  heartbeat: async () => {},
});

/** A stage that writes one object per run and counts its runs; it fails while `failing` is set. */
function countingStage() {
  const s = { runs: 0, failing: false };
  const stage: Stage = {
    name: 'annotate:test',
    queue: 'fld.test',
    needs: [],
    marker: shardMarker('annotate:test'),
    async work(ctx) {
      s.runs++;
      await ctx.storage.put(`c/round-0/out/${ctx.shard}-${s.runs}`, 'x');
      if (s.failing) throw new Error('work failed');
      return {
        counts: { text: 2, images: 3 },
        stats: { model: { total: 3, kept: 3, dropped: {}, ms: 1 } },
        files: [],
      };
    },
  };
  return { stage, s };
}

test('the executor writes the marker the stage declares after its work, and skips the work when it is there', async () => {
  const storage = new MemoryStorage();
  const { stage, s } = countingStage();
  const first = await runStage(stage, ctxOf(storage, 4));
  assert.deepEqual(first, {
    stage: 'annotate:test',
    shard: 4,
    marker: 'c/round-0/_done/annotate_test/shard-00004.json',
    counts: { text: 2, images: 3 },
    skipped: false,
  });
  const marker = await readDoneMarker(storage, 'c', 0, 'annotate:test', 4);
  assert.deepEqual(marker?.counts, { text: 2, images: 3 });
  assert.deepEqual(marker?.stats.model, { total: 3, kept: 3, dropped: {}, ms: 1 });

  const again = await runStage(stage, ctxOf(storage, 4));
  assert.deepEqual(again, { ...first, skipped: true });
  assert.equal(s.runs, 1, 'a stage run twice does its work once');
  assert.deepEqual(
    [...storage.objects.keys()].filter((k) => k.startsWith('c/round-0/out/')),
    ['c/round-0/out/4-1'],
  );
});

test('a work that fails leaves no marker: the next run does the shard again', async () => {
  const storage = new MemoryStorage();
  const { stage, s } = countingStage();
  s.failing = true;
  await assert.rejects(runStage(stage, ctxOf(storage, 0)), /work failed/);
  assert.equal(await readDoneMarker(storage, 'c', 0, 'annotate:test', 0), null);
  s.failing = false;
  assert.equal((await runStage(stage, ctxOf(storage, 0))).skipped, false);
  assert.equal(s.runs, 2);
  assert.ok(await readDoneMarker(storage, 'c', 0, 'annotate:test', 0));
});

test("a marker at the stage's key that names another stage is refused, not taken as done", async () => {
  const storage = new MemoryStorage();
  const { stage } = countingStage();
  // a stage named merge whose marker key is annotate:test's
  await runStage({ ...stage, name: 'merge' }, ctxOf(storage, 1));
  await assert.rejects(runStage(stage, ctxOf(storage, 1)), /says stage merge shard 1, expected stage annotate:test/);
});

// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchBudgetBytes, groupByDecodedBytes } from '../../../pipeline/engine/decode-budget.ts';
import { tempDir, writeImage } from '../sources/fixtures.ts';

/**
 * The decode budget: images are grouped by the pixels their headers declare, so a mini-batch of
 * large images never decodes all at once, and an image over the budget alone is an error row, not a
 * worker's memory. Through the real `fld run` with the committed demo detector.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FLD = join(REPO, 'bin', 'fld.js');
let t: ReturnType<typeof tempDir>;
let folder: string;

before(async () => {
  t = tempDir();
  folder = join(t.dir, 'photos');
  for (const n of ['a', 'b', 'c']) await writeImage(join(folder, `${n}.png`), 64, 48);
  // 3000 x 3000: 26 MB decoded, a few KB on disk
  for (const n of ['big1', 'big2']) await writeImage(join(folder, `${n}.png`), 3000, 3000);
});
after(() => t.done());

function run(name: string, budgetMB: number) {
  const config = join(t.dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      storage: join(t.dir, name),
      batchSize: 8,
      decodeBudgetMB: budgetMB,
      specialists: { detector: join(REPO, 'models', 'demo-detector') },
    }),
  );
  const r = spawnSync(process.execPath, [FLD, 'run', folder, '--collection', name, '--config', config], {
    cwd: t.dir,
    encoding: 'utf8',
    env: { ...process.env, FLD_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('grouping: in order, each group within the budget, an item over it alone set apart, an unreadable header counted as nothing', () => {
  const s = (id: string, w: number, h: number) => ({ item: id, size: { width: w, height: h } });
  const { groups, over } = groupByDecodedBytes(
    [s('a', 10, 10), s('b', 10, 10), s('huge', 100, 100), s('c', 10, 10), { item: 'bad', size: null }, s('d', 10, 10)],
    600,
  );
  assert.deepEqual(groups, [
    ['a', 'b'],
    ['c', 'bad', 'd'],
  ]);
  assert.deepEqual(
    over.map((o) => o.item),
    ['huge'],
  );
  assert.equal(batchBudgetBytes(16), 8 * 2 ** 20);
});

test('an image over half the budget is an error row naming the budget; the batch around it is annotated', () => {
  const r = run('small', 32); // 16 MB a batch: each 26 MB image is over it
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /failed: 2 image errors/);
  assert.match(
    r.err,
    /image [0-9a-f]{16}: 3000x3000 decodes to 26 MB, over the 16 MB a batch may hold \(config decodeBudgetMB 32/,
  );
  assert.match(r.out, /small round 0: 1 shards, 5 images, 0 skipped, 2 errors/);
});

test('a batch over the budget is split into groups that fit and every image is annotated', () => {
  const r = run('split', 64); // 32 MB a batch: one big image at a time
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /failed:/);
  assert.match(r.out, /split round 0: 1 shards, 5 images, 0 skipped, 0 errors/);
});

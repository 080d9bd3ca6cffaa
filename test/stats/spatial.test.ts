// @part unit
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Box, RegionTextRecord } from '../../schemas/records.ts';
import { computeRoundStats } from '../../pipeline/stats/round-stats.ts';
import { writeRoundShard } from './fixture-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'fld-stats-spatial-'));
after(() => rmSync(root, { recursive: true, force: true }));

const region = (region_id: string, box: Box): RegionTextRecord => ({
  image_id: 'a',
  round: 0,
  region_id,
  kind: 'object',
  box,
  quad: null,
  phrase: 'thing',
  brief: null,
  noun_chunks: [],
  source: 'detector@1',
  score: 0.5,
  sources: ['detector@1'],
});

test('without image records, boxes are normalised by their extent, degenerate boxes are left out, and both are said', async () => {
  // No images/ shards. Extent of image a: max x1 = 100, max y1 = 100.
  await writeRoundShard(root, 'c', 0, 'region_text', 0, [
    region('r1', [0, 0, 50, 100]),
    region('r2', [60, 50, 100, 97]),
    region('r3', [10, 10, 10, 20]),
  ]);
  const s = await computeRoundStats({ root, round: 0 });
  assert.deepEqual(s.spatial.normalised_by, { image_size: 0, box_extents: 1 });
  assert.equal(s.spatial.degenerate, 1); // r3 has no width
  assert.deepEqual(s.spatial.boxes, { region_text: 2, text_phrase_region: 0 });
  // r1 50x100 / 100x100 = 0.5 -> bin starting 0.50; r2 40x47 = 0.188 -> 0.18.
  assert.deepEqual(
    s.spatial.area.map((b) => [Math.round(b.start * 100) / 100, b.count]),
    [
      [0.18, 1],
      [0.5, 1],
    ],
  );
  assert.equal(s.warnings.length, 2);
  assert.match(
    s.warnings[0],
    /^1 image\(s\) have no width\/height .*\(no images\/ shards\): .*normalised by the extent of their boxes/,
  );
  assert.match(s.warnings[1], /^1 box\(es\) with no positive width or height are left out of the plots/);
});

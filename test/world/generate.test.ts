// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { hashTree, smallWorld } from './helpers.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { readManifest } from '../../demo/world/collection-manifest.ts';
import { BACKGROUND_PATTERNS, BACKGROUND_TONES, CATEGORIES, COLOUR_NAMES } from '../../demo/world/vocab.ts';
import { sampleScene } from '../../demo/world/scene.ts';

test('the same seed gives byte-identical images and truth; another seed does not', async () => {
  const a = await smallWorld(14, 11);
  const b = await smallWorld(14, 11, { workers: 2 });
  const c = await smallWorld(14, 12);
  try {
    const ha = hashTree(a);
    const hb = hashTree(b);
    assert.ok(
      [...ha.keys()].some((k) => k.endsWith('.png')) &&
        [...ha.keys()].some((k) => k.startsWith('truth/') && k.endsWith('.parquet')),
    );
    assert.deepEqual([...ha.entries()], [...hb.entries()]);
    const hc = hashTree(c);
    assert.notEqual(ha.get('collection/images/000003.png'), hc.get('collection/images/000003.png'));
    assert.notEqual(ha.get('truth/objects.parquet'), hc.get('truth/objects.parquet'));
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test('a world has images of the stated size, a manifest of them, and truth that reads back', async () => {
  const dir = await smallWorld(10, 5, { width: 200, height: 160 });
  try {
    const lines = readManifest(join(dir, 'collection'));
    assert.equal(lines.length, 10);
    for (const l of lines) {
      const meta = await sharp(join(dir, 'collection', l.uri)).metadata();
      assert.deepEqual([meta.width, meta.height, meta.format], [200, 160, 'png']);
    }
    const t = await readTruth(dir);
    assert.equal(t.images.length, 10);
    assert.equal(t.captions.length, 30);
    for (const o of t.objects) {
      assert.equal(o.box.length, 4);
      assert.ok(
        o.box[0] >= 0 &&
          o.box[1] >= 0 &&
          o.box[2] <= 200 &&
          o.box[3] <= 160 &&
          o.box[2] > o.box[0] &&
          o.box[3] > o.box[1],
        `box ${o.box}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scenes cover every category and colour, 1 to 8 objects, both sizes, every background, clutter, relations and words', () => {
  const scenes = Array.from({ length: 300 }, (_, i) => sampleScene(1, i));
  const cats = new Set(scenes.flatMap((s) => s.objects.map((o) => o.category)));
  assert.deepEqual([...cats].sort(), [...CATEGORIES].sort());
  const counts = scenes.map((s) => s.objects.length);
  assert.ok(Math.min(...counts) >= 1 && Math.max(...counts) === 8);
  assert.deepEqual(new Set(scenes.flatMap((s) => s.objects.map((o) => o.size))), new Set(['small', 'large']));
  assert.deepEqual(
    new Set(scenes.flatMap((s) => s.objects.map((o) => o.colour))),
    new Set(COLOUR_NAMES),
    'all 8 colours',
  );
  assert.deepEqual(
    new Set(scenes.map((s) => s.background.tone)),
    new Set(Object.keys(BACKGROUND_TONES)),
    'every background tone',
  );
  assert.deepEqual(
    new Set(scenes.map((s) => s.background.pattern)),
    new Set(BACKGROUND_PATTERNS),
    'every background pattern',
  );
  assert.ok(scenes.filter((s) => s.clutter.length > 0).length > 200, 'most scenes have clutter');
  const preds = new Set(scenes.flatMap((s) => s.relations.map((r) => r.predicate)));
  assert.deepEqual(preds, new Set(['overlaps', 'is stacked on', 'points to']));
  assert.ok(scenes.filter((s) => s.words.length > 0).length > 60);
  assert.ok(
    scenes.some((s) => s.objects.some((o) => o.occluded > 0.1)),
    'some objects are partly hidden',
  );
  assert.ok(
    scenes.every((s) => s.objects.every((o) => o.occluded <= 0.5)),
    'no object is mostly hidden',
  );
});

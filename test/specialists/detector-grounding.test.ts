// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { DetectorGroundingAdapter, classOfHead } from '../../specialists/detector/detector-grounding.ts';
import { adapterFactory } from '../../pipeline/engine/adapters.ts';
import { yoloModelFolder } from './fixtures/model-folder.ts';

const solid = (width: number, height: number, r: number, g: number, b: number) =>
  sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

test('classOfHead: a head noun names a class as itself or its plural, nothing else', () => {
  const classes = ['circle', 'cross', 'box'];
  assert.equal(classOfHead('Circles', classes), 'circle');
  assert.equal(classOfHead('crosses', classes), 'cross');
  assert.equal(classOfHead('boxes', classes), 'box');
  assert.equal(classOfHead('circular', classes), null);
  assert.equal(classOfHead('background', classes), null);
});

test('grounding by a detector: phrases naming a class get its boxes above the threshold; other phrases, pronouns and broken images get none', async () => {
  // the exact fixture: a red image scores anchors 0 and 1 of class 0 at ~0.72 and ~0.36, class 1 at 0
  const dir = await yoloModelFolder('exact', 64, ['circle', 'square']);
  const g = new DetectorGroundingAdapter({ modelDir: dir, scoreThreshold: 0.3 });
  await g.setup();
  try {
    const text = 'Two circles and a square. It sits on the background.';
    const r = await g.annotate([
      {
        image_id: 'red',
        bytes: await solid(128, 64, 255, 0, 0),
        captions: [{ text_id: 't1', granularity: 'brief', text }],
      },
      { image_id: 'quiet', bytes: await solid(64, 64, 255, 0, 0) },
      {
        image_id: 'broken',
        bytes: new Uint8Array([1, 2, 3]),
        captions: [{ text_id: 't2', granularity: 'brief', text }],
      },
    ]);
    assert.equal(r.text_phrase_region.length, 1, JSON.stringify(r.text_phrase_region));
    const [row] = r.text_phrase_region;
    assert.equal(row.phrase, 'Two circles');
    assert.equal(text.slice(row.span[0], row.span[1]), row.phrase);
    assert.deepEqual(
      [row.image_id, row.text_id, row.granularity, row.source],
      ['red', 't1', 'brief', 'yolo-exact@test-1'],
    );
    assert.equal(row.boxes.length, 2, 'both circle boxes over 0.3');
    assert.ok(row.score! > 0.3 && row.score! < 1);
    assert.deepEqual(
      r.sizes.map((s) => s.image_id),
      ['red', 'quiet'],
      'an image without captions is still sized',
    );
    assert.equal(r.errors.length, 1);
    assert.deepEqual([r.errors[0].image_id, r.errors[0].stage], ['broken', 'annotate:grounding']);

    // a higher threshold keeps only the stronger circle
    const strict = new DetectorGroundingAdapter({ modelDir: dir, scoreThreshold: 0.5 });
    await strict.setup();
    const s = await strict.annotate([
      {
        image_id: 'red',
        bytes: await solid(128, 64, 255, 0, 0),
        captions: [{ text_id: 't1', granularity: 'brief', text }],
      },
    ]);
    await strict.teardown();
    assert.equal(s.text_phrase_region[0].boxes.length, 1);
  } finally {
    await g.teardown();
  }
  // the engine's factory: a detector folder in the grounding slot is this grounder
  const a = await adapterFactory()('grounding', dir, 0);
  assert.ok(a instanceof DetectorGroundingAdapter);
  await rm(dir, { recursive: true, force: true });
});

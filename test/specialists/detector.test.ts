// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { annotateStream } from '../../specialists/annotate-stream.ts';
import { yoloModelFolder } from './fixtures/model-folder.ts';
import type { ImageInput } from '../../specialists/adapter.ts';

const solid = (width: number, height: number, r: number, g: number, b: number) =>
  sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

const PAD = 114 / 255;
const close = (got: number[], want: number[], what: string) =>
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) < 1e-3, `${what}[${i}]: got ${v}, want ${want[i]} (${got} vs ${want})`),
  );

test('detector decodes cx,cy,w,h from letterbox pixels back to original pixels, per image of a batch', async () => {
  // The exact model: anchors (cx,cy,w,h) = (32,32,20,10), (10,50,8,8), (60,5,10,10) in a 64x64 letterbox;
  // class scores = mean red / mean green of the letterboxed image times 1, 0.5, 0.25 per anchor.
  const dir = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  const det = new DetectorAdapter({ modelDir: dir, minScore: 0.2 });
  await det.setup();
  try {
    const batch: ImageInput[] = [
      { image_id: 'red-wide', bytes: await solid(128, 64, 255, 0, 0) },
      { image_id: 'green-square', bytes: await solid(64, 64, 0, 255, 0) },
      { image_id: 'blue-tall', bytes: await solid(50, 100, 0, 0, 255) },
    ];
    const r = await det.annotate(batch);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.sizes.map((s) => [s.image_id, s.width, s.height]),
      [
        ['red-wide', 128, 64],
        ['green-square', 64, 64],
        ['blue-tall', 50, 100],
      ],
    );
    const of = (id: string) => r.region_text.filter((x) => x.image_id === id);

    // red 128x64: scale 0.5, padY 16; red mean = half image (1) + half padding (114/255).
    const red = of('red-wide');
    const redMean = 0.5 + 0.5 * PAD;
    assert.deepEqual(
      red.map((x) => x.phrase),
      ['red thing', 'red thing'],
    );
    close(
      red.map((x) => x.score!),
      [redMean, redMean * 0.5],
      'red scores',
    );
    close(red[0].box, [44, 22, 84, 42], 'red anchor 0');
    close(red[1].box, [12, 60, 28, 64], 'red anchor 1 (clipped at the bottom)');

    // green 64x64: no padding; green mean 1 -> all three anchors, the third clipped at the right edge.
    const green = of('green-square');
    assert.deepEqual(
      green.map((x) => x.phrase),
      ['green thing', 'green thing', 'green thing'],
    );
    close(
      green.map((x) => x.score!),
      [1, 0.5, 0.25],
      'green scores',
    );
    close(green[0].box, [22, 27, 42, 37], 'green anchor 0');
    close(green[2].box, [55, 0, 64, 10], 'green anchor 2');

    // blue 50x100: scale 0.64, padX 16; only the padding has red or green (tie -> class 0).
    const blue = of('blue-tall');
    assert.equal(blue.length, 1);
    close([blue[0].score!], [0.5 * PAD], 'blue score');
    close(blue[0].box, [(22 - 16) / 0.64, 27 / 0.64, (42 - 16) / 0.64, 37 / 0.64], 'blue anchor 0');

    for (const row of r.region_text) {
      assert.equal(row.kind, 'object');
      assert.equal(row.source, 'yolo-exact@test-1');
      assert.equal(row.quad, null);
    }
    assert.equal(new Set(r.region_text.map((x) => x.region_id)).size, r.region_text.length, 'region ids are unique');

    // The same images through the prefetching stream in batches of 2 give the same rows.
    const streamed = [];
    for await (const part of annotateStream(det, batch, 2)) streamed.push(...part.region_text);
    assert.deepEqual(
      streamed.map((x) => [x.image_id, x.box, x.score]),
      r.region_text.map((x) => [x.image_id, x.box, x.score]),
    );
  } finally {
    await det.teardown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('detector refuses a model whose class count differs from fld-model.json', async () => {
  // The same 2-class graph, with a manifest that names one class.
  const dir = await yoloModelFolder('exact', 64, ['only one', 'x']);
  const manifest = JSON.parse(await readFile(join(dir, 'fld-model.json'), 'utf8'));
  await writeFile(join(dir, 'fld-model.json'), JSON.stringify({ ...manifest, classes: ['only one'] }));
  const det = new DetectorAdapter({ modelDir: dir });
  await det.setup();
  try {
    await assert.rejects(
      det.annotate([{ image_id: 'a', bytes: await solid(8, 8, 1, 2, 3) }]),
      /outputs 2 classes, fld-model.json names 1/,
    );
  } finally {
    await det.teardown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('detector replicas split a batch among sessions and give the same rows, a broken image included', async () => {
  const dir = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  const batch: ImageInput[] = [
    { image_id: 'red-wide', bytes: await solid(128, 64, 255, 0, 0) },
    { image_id: 'green-square', bytes: await solid(64, 64, 0, 255, 0) },
    { image_id: 'broken', bytes: Buffer.from('not an image') },
    { image_id: 'blue-tall', bytes: await solid(50, 100, 0, 0, 255) },
    { image_id: 'olive', bytes: await solid(90, 30, 200, 180, 0) },
    { image_id: 'teal', bytes: await solid(40, 70, 0, 160, 150) },
    { image_id: 'maroon', bytes: await solid(33, 33, 120, 10, 40) },
  ];
  const annotate = async (replicas: number, images: ImageInput[]) => {
    const det = new DetectorAdapter({ modelDir: dir, minScore: 0.1, threads: { replicas } });
    await det.setup();
    try {
      return await det.annotate(images);
    } finally {
      await det.teardown();
    }
  };
  try {
    const one = await annotate(1, batch);
    assert.deepEqual(
      one.errors.map((e) => e.image_id),
      ['broken'],
    );
    assert.deepEqual(
      one.sizes.map((s) => s.image_id),
      ['red-wide', 'green-square', 'blue-tall', 'olive', 'teal', 'maroon'],
    );
    // every image has a row, and they differ per image, so a slice decoded at the wrong index would show
    assert.deepEqual(
      [...new Set(one.region_text.map((x) => x.image_id))],
      one.sizes.map((s) => s.image_id),
    );
    for (const replicas of [2, 3]) assert.deepEqual(await annotate(replicas, batch), one, `replicas ${replicas}`);
    // fewer images than replicas: one slice per image, the spare session idle
    assert.deepEqual(await annotate(3, batch.slice(0, 2)), await annotate(1, batch.slice(0, 2)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('detector refuses replicas that are not a whole number >= 1', async () => {
  const dir = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  try {
    for (const replicas of [0, 1.5])
      await assert.rejects(
        new DetectorAdapter({ modelDir: dir, threads: { replicas } }).setup(),
        /replicas must be an integer >= 1/,
      );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

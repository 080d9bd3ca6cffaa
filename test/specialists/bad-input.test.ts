// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import type { AdapterResult, ImageInput, SpecialistAdapter } from '../../specialists/adapter.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { OcrAdapter } from '../../specialists/ocr/ocr.ts';
import { badCases, type BadCase } from './fixtures/bad-images.ts';
import { yoloModelFolder } from './fixtures/model-folder.ts';
import { renderWords } from './fixtures/render-text.ts';

/** Every bad case gives its error row (naming the image and the reason) or its decoded size; the good image is annotated. */
function checkBatch(r: AdapterResult, cases: BadCase[], stage: RegExp) {
  for (const c of cases) {
    const errs = r.errors.filter((e) => e.image_id === c.image_id);
    const size = r.sizes.find((s) => s.image_id === c.image_id);
    if (c.error) {
      assert.equal(errs.length, 1, `${c.image_id}: one error row`);
      assert.match(errs[0].stage, stage);
      assert.match(errs[0].message, c.error, `${c.image_id}: reason`);
      assert.ok(errs[0].message.includes(c.image_id), `${c.image_id}: message names the image: ${errs[0].message}`);
      assert.equal(size, undefined);
    } else {
      assert.deepEqual(errs, [], `${c.image_id}: no error`);
      assert.deepEqual(size && [size.width, size.height], c.size, `${c.image_id}: decoded size`);
    }
  }
  assert.equal(r.errors.length, cases.filter((c) => c.error).length);
}

async function withAdapter<A extends SpecialistAdapter>(a: A, f: (a: A) => Promise<void>) {
  await a.setup();
  try {
    await f(a);
  } finally {
    await a.teardown();
  }
}

test('detector: bad images become error rows and the rest of the batch is annotated', async () => {
  const cases = await badCases();
  const dir = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  try {
    await withAdapter(new DetectorAdapter({ modelDir: dir, minScore: 0.2 }), async (det) => {
      const batch: ImageInput[] = cases.map((c) => ({ image_id: c.image_id, bytes: c.bytes }));
      const r = await det.annotate(batch);
      checkBatch(r, cases, /^annotate:detector:decode$/);
      const best = (id: string) =>
        r.region_text.filter((x) => x.image_id === id).sort((p, q) => q.score! - p.score!)[0];
      // The colour survives conversion to 8-bit sRGB: CMYK red reads as red, 16-bit green as green.
      assert.equal(best('cmyk-jpeg').phrase, 'red thing');
      assert.equal(best('png-16-bit').phrase, 'green thing');
      assert.equal(best('animated-gif').phrase, 'red thing', 'the first frame (red) is the one decoded');
      assert.ok(best('one-pixel'), 'a 1x1 image is annotated');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ocr: bad images become error rows and the good image in the same batch is read', async () => {
  const cases = await badCases();
  await withAdapter(new OcrAdapter(), async (ocr) => {
    const good = await renderWords(300, 90, [{ text: 'station', x: 30, y: 60, size: 40 }]);
    const batch: ImageInput[] = [
      ...cases.map((c) => ({ image_id: c.image_id, bytes: c.bytes })),
      { image_id: 'good', bytes: good },
    ];
    const r = await ocr.annotate(batch);
    checkBatch(r, cases, /^annotate:ocr:decode$/);
    assert.deepEqual(
      r.region_text.filter((x) => x.image_id === 'good').map((x) => x.phrase),
      ['station'],
    );
  });
});

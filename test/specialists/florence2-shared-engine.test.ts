// @part integration
/**
 * Adapters of one process on the same Florence-2 folder share one engine (the engine's captioner,
 * grounding and region captioner): loaded once, released when the last adapter is torn down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Florence2Adapter } from '../../specialists/florence2/florence2-adapter.ts';
import { sharedEngineCount } from '../../specialists/florence2/shared-engine.ts';
import { sampleImages, variedFlorence2Folder } from './fixtures/florence2-sample.ts';

test('two adapters on one folder share one engine; it outlives the first teardown and goes with the last', async () => {
  const dir = variedFlorence2Folder();
  const opts = { modelDir: dir, maxNewTokens: 16, numBeams: 1, shareEngine: true };
  const captioner = new Florence2Adapter({ ...opts, tasks: ['<CAPTION>'] });
  const grounding = new Florence2Adapter({ ...opts, tasks: ['<CAPTION_TO_PHRASE_GROUNDING>'] });
  const images = await sampleImages(2, 3);
  assert.equal(sharedEngineCount(), 0);
  await Promise.all([captioner.setup(), grounding.setup()]);
  assert.equal(sharedEngineCount(), 1, 'one engine for both');
  try {
    const caps = await captioner.annotate(images);
    assert.equal(caps.text.length, 2);
    await captioner.teardown();
    assert.equal(sharedEngineCount(), 1, 'still held by the grounding adapter');
    const fed = images.map((im) => ({ ...im, captions: caps.text.filter((t) => t.image_id === im.image_id) }));
    const g = await grounding.annotate(fed);
    assert.deepEqual(g.errors, []);
    for (const row of g.text_phrase_region)
      assert.ok(
        caps.text.some((t) => t.text_id === row.text_id),
        'grounds the given captions',
      );
  } finally {
    await captioner.teardown();
    await grounding.teardown();
  }
  assert.equal(sharedEngineCount(), 0, 'released with the last adapter');
  const again = new Florence2Adapter({ ...opts, tasks: ['<CAPTION>'] });
  await again.setup();
  try {
    assert.equal((await again.annotate(images)).text.length, 2, 'a new lease opens a fresh engine');
  } finally {
    await again.teardown();
  }
});

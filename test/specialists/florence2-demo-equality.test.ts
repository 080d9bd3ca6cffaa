// @part integration
/**
 * Runner equality on the TRAINED demo Florence-2 model (small version; the 50-image run is
 * `npm run bench -- florence2-demo-equality`): on 5 demo-world images and every task the model lists,
 * our runner's greedy ids equal transformers.js `generate` (its own processor on the same decoded
 * image) token for token, and our greedy and beam (3) ids equal the PyTorch reference, which reads
 * the PNG files itself, on at least 95% of the jobs. A model whose outputs do not vary with the image
 * is reported (diagnostic), not failed: that is the model's quality, not the runner's.
 * FLD_F2_MODEL_DIR picks the folder (default models/demo-florence2); without one the test is skipped
 * and says so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/florence2-tiny.ts';
import { demoWorldSample, type WorldImage } from './fixtures/demo-world-sample.ts';
import {
  differences,
  equalityJobs,
  maxPixelDifference,
  modelTasks,
  pytorchIds,
  runnerIds,
  sameCount,
  transformersIds,
  type EqualityJob,
} from './fixtures/florence2-equality.ts';

const DIR = process.env.FLD_F2_MODEL_DIR ?? join(REPO_ROOT, 'models', 'demo-florence2');
const HAVE = existsSync(join(DIR, 'fld-model.json'));
const N = 5;
const STEPS = 160;
const skip = HAVE ? false : `no trained model at ${DIR} (set FLD_F2_MODEL_DIR)`;

let images: WorldImage[];
let jobs: EqualityJob[];
let remove: () => Promise<void> = async () => {};
let greedy: number[][];
let pixels: Float32Array[];

before(async () => {
  if (!HAVE) return;
  const s = await demoWorldSample(N, 5);
  images = s.images;
  remove = s.remove;
  jobs = equalityJobs(images, await modelTasks(DIR));
  const ours = await runnerIds(DIR, images, jobs, STEPS, 1);
  greedy = ours.ids;
  pixels = ours.pixels;
});
after(() => remove());

test('greedy: our runner equals transformers.js generate for every image and task of the model', {
  skip,
}, async (t) => {
  const tjs = await transformersIds(DIR, images, jobs, STEPS);
  t.diagnostic(
    `${jobs.length} jobs (${N} images x ${new Set(jobs.map((j) => j.task)).size} tasks); ${sameCount(greedy, tjs.ids)} equal`,
  );
  assert.deepEqual(differences(jobs, images, greedy, tjs.ids), []);
  // both sides preprocess the PNG themselves; the same pixels up to float rounding
  assert.ok(
    maxPixelDifference(pixels, tjs.pixels) < 1e-5,
    `pixel_values differ by ${maxPixelDifference(pixels, tjs.pixels)}`,
  );
  // outputs end in EOS before the step limit, so the comparison covers whole outputs
  assert.ok(
    greedy.filter((g) => g.length <= STEPS).length >= 0.9 * greedy.length,
    'most outputs should finish before max_new_tokens',
  );
  // Whether the model's outputs depend on the image is the model's quality, not the runner's;
  // said here because equality on a model that ignores its input checks the decode loop only.
  const distinct = new Set(greedy.map((g) => g.join())).size;
  if (distinct < Math.ceil(N / 2))
    t.diagnostic(`WARNING: ${distinct} distinct outputs on ${N} images: the model ignores its input`);
});

for (const numBeams of [1, 3]) {
  test(`num_beams ${numBeams}: our runner equals the PyTorch reference on the PNG files for at least 95% of the jobs`, {
    skip,
  }, async (t) => {
    const ours = numBeams === 1 ? greedy : (await runnerIds(DIR, images, jobs, STEPS, numBeams)).ids;
    const ref = pytorchIds(DIR, images, jobs, STEPS, numBeams);
    const same = sameCount(ours, ref);
    t.diagnostic(`${same}/${jobs.length} equal; ${differences(jobs, images, ours, ref, 2).join(' | ')}`);
    assert.ok(same >= 0.95 * jobs.length, `${same}/${jobs.length} equal the PyTorch decode`);
  });
}

// @part integration
/**
 * The florence2 runner on the tiny model in the public layout (random weights, scaled so outputs vary): greedy output equals
 * transformers.js's generate token for token, batches equal single runs, greedy and beam equal the
 * PyTorch reference decode on identical pixels, fp16 (float32 and float16 I/O) loads and generates.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  env,
  AutoProcessor,
  AutoTokenizer,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  Tensor,
} from '@huggingface/transformers';
import { buildPrefix } from '../../schemas/florence2-tasks.ts';
import { locTokens, quantiseBox } from '../../schemas/loc-codec.ts';
import { Florence2Runner } from '../../specialists/florence2/runner.ts';
import type { ImageFeatures } from '../../specialists/florence2/decode-loop.ts';
import { PYTHON, REPO_ROOT } from '../helpers/florence2-tiny.ts';
import { pytorchReference, sampleImages, samplePixels, variedFlorence2Folder } from './fixtures/florence2-sample.ts';

env.allowRemoteModels = false;

const N_IMAGES = 50;
const STEPS = 20;
const CAPTIONS = [
  'a red square above a blue circle',
  'two green rectangles and a yellow box',
  'a dark shape on a light ground',
];
const TASKS = [
  '<CAPTION>',
  '<DETAILED_CAPTION>',
  '<MORE_DETAILED_CAPTION>',
  '<OD>',
  '<DENSE_REGION_CAPTION>',
  '<OCR_WITH_REGION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<REGION_TO_DESCRIPTION>',
];

let dir: string;
let work: string;
let runner: Florence2Runner;
let sample: { width: number; height: number; pixels: Float32Array }[];
let features: ImageFeatures;

before(async () => {
  dir = variedFlorence2Folder();
  work = mkdtempSync(join(tmpdir(), 'fld-f2-runner-'));
  runner = await Florence2Runner.load(dir, { maxBatch: 8 });
  sample = await samplePixels(await sampleImages(N_IMAGES), runner.image);
  features = await runner.encodeImages(sample.map((s) => s.pixels));
});
after(async () => {
  await runner?.release();
  rmSync(work, { recursive: true, force: true });
});

/** The prefix of `task` for image `i`: a caption to ground, or a box in the image to describe. */
function prefixFor(task: string, i: number): string {
  const { width, height } = sample[i];
  if (task === '<CAPTION_TO_PHRASE_GROUNDING>') return buildPrefix(task, CAPTIONS[i % CAPTIONS.length]);
  if (task === '<REGION_TO_DESCRIPTION>')
    return buildPrefix(
      task,
      locTokens(
        quantiseBox([width * 0.1, height * 0.2, width * (0.5 + (i % 5) / 10), height * 0.9], { width, height }),
      ),
    );
  return buildPrefix(task);
}

const jobsFor = (task: string, n = N_IMAGES) =>
  Array.from({ length: n }, (_, i) => ({ image: i, promptIds: runner.promptIds(prefixFor(task, i)) }));

test("prompt ids equal transformers.js's processor + tokenizer for every task prefix", async () => {
  const processor = (await AutoProcessor.from_pretrained(dir)) as Florence2Processor;
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  for (const task of TASKS) {
    for (let i = 0; i < 3; i++) {
      const prefix = prefixFor(task, i);
      assert.deepEqual(runner.promptIds(prefix), tokenizer.encode(processor.construct_prompts(prefix)[0]), prefix);
    }
  }
  const ids = runner.promptIds(prefixFor('<REGION_TO_DESCRIPTION>', 0));
  assert.equal(runner.tokenizer.decode(ids).startsWith('<s>What does the region <loc_'), true);
});

test('batched greedy equals transformers.js generate token for token, every image and task (fp32)', async () => {
  const model = await Florence2ForConditionalGeneration.from_pretrained(dir, { dtype: 'fp32' });
  const distinct = new Set<string>();
  try {
    for (const task of TASKS) {
      const jobs = jobsFor(task);
      const ours = await runner.generate(features, jobs, { numBeams: 1, maxNewTokens: STEPS });
      for (let i = 0; i < jobs.length; i++) {
        const ids = jobs[i].promptIds;
        const out = (await model.generate({
          input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
          attention_mask: new Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]),
          pixel_values: new Tensor('float32', sample[i].pixels, [1, 3, runner.image.height, runner.image.width]),
          max_new_tokens: STEPS,
        })) as Tensor;
        assert.deepEqual(ours[i].seq, Array.from(out.data as BigInt64Array, Number), `${task} image ${i}`);
        distinct.add(ours[i].seq.join(','));
      }
    }
  } finally {
    await model.dispose();
  }
  // the comparison means something only if the outputs vary with image and prompt
  assert.ok(distinct.size >= 2 * N_IMAGES, `only ${distinct.size} distinct outputs`);
});

test('a batch of N equals N single runs (greedy and beam, mixed prompt lengths)', async () => {
  const jobs = TASKS.flatMap((t) => jobsFor(t, 3));
  for (const numBeams of [1, 3]) {
    const batched = await runner.generate(features, jobs, { numBeams, maxNewTokens: STEPS });
    for (let k = 0; k < jobs.length; k++) {
      const [single] = await runner.generate(features, [jobs[k]], { numBeams, maxNewTokens: STEPS });
      assert.deepEqual(batched[k].seq, single.seq, `num_beams ${numBeams}, job ${k}`);
      assert.ok(Math.abs(batched[k].score - single.score) < 1e-4);
    }
  }
});

test('beam search with num_beams 1 picks the greedy tokens', async () => {
  const jobs = TASKS.flatMap((t) => jobsFor(t, 4));
  const greedy = await runner.generate(features, jobs, { numBeams: 1, maxNewTokens: STEPS });
  const beam = await runner.generate(features, jobs, { numBeams: 1, maxNewTokens: STEPS }, 'beam');
  assert.deepEqual(
    beam.map((b) => b.seq),
    greedy.map((g) => g.seq),
  );
});

test('greedy and beam (3) equal the PyTorch reference decode on identical pixels for at least 95% of the sample', async (t) => {
  const tasks = ['<CAPTION>', '<OD>', '<CAPTION_TO_PHRASE_GROUNDING>', '<REGION_TO_DESCRIPTION>'];
  // half the images: the unbatched Python beam search is the slow side
  const jobs = tasks.flatMap((t) =>
    Array.from({ length: N_IMAGES / 2 }, (_, i) => ({ image: i, prefix: prefixFor(t, i) })),
  );
  const ours = (numBeams: number) =>
    runner.generate(
      features,
      jobs.map((j) => ({ image: j.image, promptIds: runner.promptIds(j.prefix) })),
      { numBeams, maxNewTokens: STEPS },
    );
  for (const numBeams of [1, 3]) {
    const want = pytorchReference(
      dir,
      work,
      sample.map((s) => s.pixels),
      jobs,
      STEPS,
      numBeams,
    );
    const got = await ours(numBeams);
    const same = got.filter((g, k) => g.seq.join() === want[k].join()).length;
    t.diagnostic(`num_beams ${numBeams}: ${same}/${jobs.length} equal the PyTorch decode`);
    assert.ok(same >= 0.95 * jobs.length, `num_beams ${numBeams}: ${same}/${jobs.length} equal`);
  }
});

test('fp16 loads and generates, with float32 I/O and with float16 I/O (types from metadata), mostly the fp32 tokens', async () => {
  const fp16io = join(work, 'fp16io');
  cpSync(dir, fp16io, { recursive: true });
  execFileSync(PYTHON, [join(REPO_ROOT, 'test/specialists/fixtures/florence2_fp16_io.py'), fp16io], { stdio: 'pipe' });
  const jobs = TASKS.flatMap((t) => jobsFor(t, 4));
  const fp32 = (await runner.generate(features, jobs, { numBeams: 2, maxNewTokens: STEPS })).map((o) => o.seq.join());
  const outs: string[][] = [];
  for (const folder of [dir, fp16io]) {
    const r = await Florence2Runner.load(folder, { dtype: 'fp16' });
    try {
      const f = await r.encodeImages(sample.slice(0, 4).map((s) => s.pixels));
      assert.equal(f.type, folder === dir ? 'float32' : 'float16');
      assert.equal(r.graphs.decoder.pastType, folder === dir ? 'float32' : 'float16');
      const g = await r.generate(f, jobs, { numBeams: 2, maxNewTokens: STEPS });
      for (const o of g) {
        const st = r.settings();
        assert.deepEqual(o.seq.slice(0, 2), [st.decoderStartTokenId, st.forcedBosTokenId]);
        assert.ok(o.seq.length <= STEPS + 1 && o.seq.every((t) => Number.isInteger(t) && t >= 0 && t < r.vocab));
        assert.ok(Number.isFinite(o.score));
      }
      outs.push(g.map((o) => o.seq.join()));
    } finally {
      await r.release();
    }
  }
  // fp16 rounding flips some near-ties (and ORT fuses the edge casts of the float32-I/O files differently)
  const agree = (a: string[], b: string[]) => a.filter((x, i) => x === b[i]).length / a.length;
  assert.ok(agree(outs[0], outs[1]) >= 0.9, `fp16 float32-I/O vs float16-I/O: ${agree(outs[0], outs[1])}`);
  for (const o of outs) assert.ok(agree(o, fp32) >= 0.75, `fp16 vs fp32: ${agree(o, fp32)}`);
});

test('a folder without a graph or with a bad dtype is refused by name', async () => {
  await assert.rejects(
    Florence2Runner.load(dir, { dtype: 'q4' }),
    /decoder_model_merged_q4\.onnx|vision_encoder_q4\.onnx|embed_tokens_q4\.onnx|encoder_model_q4\.onnx/,
  );
  await assert.rejects(Florence2Runner.load(dir, { dtype: 'fp8' as never }), /unknown dtype "fp8"/);
});

/**
 * Florence-2 runner: images/s for `<CAPTION>` (greedy) through the florence2 adapter, bytes to rows,
 * at batch 1, 4, 8, 16 with the thread settings printed; anchor: transformers.js `generate` on the same
 * decoded images, one at a time (its processor does its own resize), in the same run. Floor: the best
 * batch at least 1.5x batch 1.
 * Then the runner's JavaScript share of the CPU per `<CAPTION>` image (batch 1, greedy and the folder's
 * num_beams 3) in a process holding only the runner: process CPU minus the CPU inside the model calls
 * (`florence2-js-share.ts`), beside the model calls alone. Floor: JS at most 10% of the CPU per image;
 * exit 1 when it is missed.
 * Model: FLD_BENCH_F2_DIR (a folder in the public layout), else `models/demo-florence2` on demo-world
 * images, else the tiny test model (scaled weights, so caption lengths vary as a trained model's do) on
 * synthetic images. FLD_BENCH_IMAGES (default 48), FLD_BENCH_F2_TOKENS (max_new_tokens, default 32),
 * FLD_BENCH_INTRA / FLD_BENCH_INTER (ORT threads, default 1 / 1), FLD_BENCH_F2_ONLY=js-share for the
 * JS share alone, FLD_BENCH_ROUNDS (its passes, best kept; default 3).
 */
import {
  env,
  AutoProcessor,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  RawImage,
} from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { annotateStream } from '../specialists/annotate-stream.ts';
import { Florence2Adapter } from '../specialists/florence2/florence2-adapter.ts';
import { loadFolderInfo } from '../specialists/florence2/runner.ts';
import { decodeImage } from '../specialists/image/image-decode.ts';
import { florence2Pixels } from '../specialists/image/florence2-preprocess.ts';
import { describeThreads, type ThreadOptions } from '../specialists/ort-options.ts';
import { sampleImages, variedFlorence2Folder } from '../test/specialists/fixtures/florence2-sample.ts';
import { demoWorldImages } from './demo-world-images.ts';
import { captionJsShareApart } from './florence2-js-share.ts';

env.allowRemoteModels = false;
const N = Number(process.env.FLD_BENCH_IMAGES ?? 48);
const TOKENS = Number(process.env.FLD_BENCH_F2_TOKENS ?? 32);
const threads: ThreadOptions = {
  intraOpNumThreads: Number(process.env.FLD_BENCH_INTRA ?? 1),
  interOpNumThreads: Number(process.env.FLD_BENCH_INTER ?? 1),
};
// absolute: transformers.js reads a relative folder under its own models directory
const demo = fileURLToPath(new URL('../models/demo-florence2', import.meta.url));
const onDemo = !process.env.FLD_BENCH_F2_DIR && existsSync(join(demo, 'fld-model.json'));
const dir = process.env.FLD_BENCH_F2_DIR ?? (onDemo ? demo : variedFlorence2Folder());
const BATCHES = [1, 4, 8, 16];
const ONLY_JS = process.env.FLD_BENCH_F2_ONLY === 'js-share';
const ROUNDS = Number(process.env.FLD_BENCH_ROUNDS ?? 3);
const JS_FLOOR = 0.1;

const images = onDemo ? await demoWorldImages(N, 3) : await sampleImages(N, 3);
console.log(`model ${dir}; ${N} images; <CAPTION> greedy, max_new_tokens ${TOKENS}; ORT ${describeThreads(threads)}`);

async function ours(batch: number, numBeams = 1): Promise<{ ips: number; tokens: number }> {
  const adapter = new Florence2Adapter({
    modelDir: dir,
    tasks: ['<CAPTION>'],
    threads,
    maxBatch: batch,
    numBeams,
    maxNewTokens: TOKENS,
  });
  await adapter.setup();
  // warm-up: first runs allocate ORT arenas
  for await (const _ of annotateStream(adapter, images.slice(0, batch), batch)) void _;
  const t0 = performance.now();
  let rows = 0,
    chars = 0;
  for await (const r of annotateStream(adapter, images, batch)) {
    rows += r.text.length;
    chars += r.text.reduce((a, t) => a + t.text.length, 0);
  }
  const s = (performance.now() - t0) / 1000;
  await adapter.teardown();
  if (rows !== N) throw new Error(`expected ${N} caption rows, got ${rows}`);
  return { ips: N / s, tokens: chars / N };
}

async function transformersJs(): Promise<number> {
  const processor = (await AutoProcessor.from_pretrained(dir)) as Florence2Processor;
  const model = await Florence2ForConditionalGeneration.from_pretrained(dir, {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: threads.intraOpNumThreads, interOpNumThreads: threads.interOpNumThreads },
  });
  const run = async (im: (typeof images)[number]) => {
    const d = await decodeImage(im.bytes);
    const inputs = await processor(new RawImage(new Uint8ClampedArray(d.data), d.width, d.height, 3), '<CAPTION>');
    await model.generate({ ...inputs, max_new_tokens: TOKENS });
  };
  await run(images[0]);
  const t0 = performance.now();
  for (const im of images) await run(im);
  const s = (performance.now() - t0) / 1000;
  await model.dispose();
  return N / s;
}

const rows: [string, string, string][] = [['figure', 'anchor', 'ratio']];
let failed = false;
if (!ONLY_JS) {
  const anchor = await transformersJs();
  const per: Record<number, number> = {};
  for (const b of BATCHES) {
    const r = await ours(b);
    per[b] = r.ips;
    rows.push([
      `runner batch ${b}: ${r.ips.toFixed(2)} img/s`,
      `transformers.js generate: ${anchor.toFixed(2)} img/s`,
      (r.ips / anchor).toFixed(2),
    ]);
  }
  const best = BATCHES.reduce((a, b) => (per[b] > per[a] ? b : a), 1);
  const beam = await ours(best, 3);
  rows.push([
    `runner batch ${best}, num_beams 3: ${beam.ips.toFixed(2)} img/s`,
    `runner batch ${best} greedy: ${per[best].toFixed(2)} img/s`,
    (beam.ips / per[best]).toFixed(2),
  ]);
  const floor = per[best] / per[1];
  rows.push([
    `best batch (${best}) / batch 1`,
    'floor 1.5',
    `${floor.toFixed(2)} ${floor >= 1.5 ? 'ok' : 'BELOW FLOOR'}`,
  ]);
}

const info = await loadFolderInfo(dir);
const pixels = await Promise.all(images.map(async (im) => florence2Pixels(await decodeImage(im.bytes), info.image)));
for (const numBeams of [1, 3]) {
  const r = captionJsShareApart(dir, pixels, { threads, numBeams, maxNewTokens: TOKENS, rounds: ROUNDS });
  const js = r.total - r.model;
  const share = js / r.total;
  failed ||= share > JS_FLOOR;
  rows.push([
    `runner JS per <CAPTION> image, batch 1, num_beams ${numBeams}: ${js.toFixed(2)} ms CPU of ${r.total.toFixed(2)} (GC pauses ${r.gc.toFixed(2)} ms wall)`,
    `model calls alone: ${r.model.toFixed(2)} ms CPU (${r.calls.toFixed(1)} calls)`,
    `${(100 * share).toFixed(1)}% JS, floor ${100 * JS_FLOOR}% ${share <= JS_FLOOR ? 'ok' : 'ABOVE FLOOR'}`,
  ]);
}
for (const r of rows) console.log(r.join(' | '));
if (failed) process.exit(1);

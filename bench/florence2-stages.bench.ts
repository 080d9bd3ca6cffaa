/**
 * The engine's three Florence-2 specialists (captioner, grounding, region captioner) on one model
 * folder in one worker process: one shared engine (shared-engine.ts, what the engine does) against
 * one engine per adapter (the anchor). Figures: time to set the three up, process RSS growth, and
 * a brief caption of N images through each adapter (the shared engine serialises their calls).
 * FLD_BENCH_F2_DIR (default: the tiny varied test model), FLD_BENCH_F2_IMAGES (default 8).
 *   npm run bench -- florence2-stages
 */
import { Florence2Adapter } from '../specialists/florence2/florence2-adapter.ts';
import { sampleImages, variedFlorence2Folder } from '../test/specialists/fixtures/florence2-sample.ts';

const dir = process.env.FLD_BENCH_F2_DIR ?? variedFlorence2Folder();
const N = Number(process.env.FLD_BENCH_F2_IMAGES ?? 8);
const images = await sampleImages(N, 9);
const TASKS = ['<CAPTION>', '<CAPTION>', '<CAPTION>'];

async function measure(shareEngine: boolean) {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const adapters = TASKS.map(
    (task) => new Florence2Adapter({ modelDir: dir, tasks: [task], maxNewTokens: 20, numBeams: 1, shareEngine }),
  );
  for (const a of adapters) await a.setup();
  const setupMs = performance.now() - t;
  const rss = (process.memoryUsage().rss - rss0) / 2 ** 20;
  t = performance.now();
  await Promise.all(adapters.map((a) => a.annotate(images)));
  const runMs = performance.now() - t;
  for (const a of adapters) await a.teardown();
  return { setupMs, rss, runMs };
}

// warm-up (file cache, tsx compile of the worker thread's modules), then anchor and figure
await measure(false);
const separate = await measure(false);
const shared = await measure(true);
console.log(`model ${dir}; 3 adapters; ${N} images each, <CAPTION> greedy, 20 new tokens`);
console.log('figure | shared engine | anchor: one engine per adapter | ratio');
const rows: [string, number, number][] = [
  ['setup of the three, ms', shared.setupMs, separate.setupMs],
  ['RSS growth, MiB', shared.rss, separate.rss],
  ['three adapters x N images concurrently, ms', shared.runMs, separate.runMs],
];
for (const [name, f, a] of rows) console.log(`${name} | ${f.toFixed(1)} | ${a.toFixed(1)} | ${(f / a).toFixed(2)}`);

/**
 * Runner equality on the trained demo Florence-2 model, 50 demo-world images x every task in its
 * fld-model.json: our runner's greedy ids vs transformers.js `generate`
 * (must be all equal), our greedy and beam (3) ids vs the PyTorch reference reading the PNG files
 * (floor: 95% equal); with the time each side took. Exit 1 if a floor is missed.
 * FLD_BENCH_F2_DIR (default models/demo-florence2), FLD_BENCH_IMAGES (default 50),
 * FLD_BENCH_F2_TOKENS (max_new_tokens, default 160). The small version is a test:
 * test/specialists/florence2-demo-equality.test.ts.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { demoWorldSample } from '../test/specialists/fixtures/demo-world-sample.ts';
import {
  differences,
  equalityJobs,
  maxPixelDifference,
  modelTasks,
  pytorchIds,
  runnerIds,
  sameCount,
  transformersIds,
} from '../test/specialists/fixtures/florence2-equality.ts';

// Absolute: transformers.js resolves a relative folder against its own models directory.
const DIR = resolve(process.env.FLD_BENCH_F2_DIR ?? join('models', 'demo-florence2'));
const N = Number(process.env.FLD_BENCH_IMAGES ?? 50);
const STEPS = Number(process.env.FLD_BENCH_F2_TOKENS ?? 160);

if (!existsSync(join(DIR, 'fld-model.json'))) {
  console.log(`no trained Florence-2 model at ${DIR} (fld-model.json missing); set FLD_BENCH_F2_DIR`);
  process.exit(1);
}
const tasks = await modelTasks(DIR);
const sample = await demoWorldSample(N, 5);
const { images } = sample;
const jobs = equalityJobs(images, tasks);
console.log(
  `model ${DIR}; tasks ${tasks.join(' ')}; ${N} demo-world images (seed 5); ${jobs.length} jobs; max_new_tokens ${STEPS}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

const timed = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
};

let failed = false;
const rows: string[] = ['figure | anchor | ratio'];
try {
  const [ours, tOurs] = await timed(() => runnerIds(DIR, images, jobs, STEPS, 1));
  const [tjs, tTjs] = await timed(() => transformersIds(DIR, images, jobs, STEPS));
  const promptsSame = sameCount(ours.promptIds, tjs.promptIds);
  const same = sameCount(ours.ids, tjs.ids);
  rows.push(
    `prompt ids equal to transformers.js processor: ${promptsSame}/${jobs.length} | all | ${(promptsSame / jobs.length).toFixed(2)}`,
  );
  rows.push(
    `pixel_values, our preprocessing vs transformers.js processor: max |difference| ${maxPixelDifference(ours.pixels, tjs.pixels).toExponential(2)} | 0 | -`,
  );
  rows.push(
    `runner greedy = transformers.js generate: ${same}/${jobs.length} jobs | all | ${(same / jobs.length).toFixed(2)}`,
  );
  rows.push(
    `runner greedy, batched 16, load included: ${tOurs.toFixed(1)} s | transformers.js generate, one by one, load included: ${tTjs.toFixed(1)} s | ${(tTjs / tOurs).toFixed(2)}x faster`,
  );
  if (same < jobs.length || promptsSame < jobs.length) failed = true;
  for (const d of differences(jobs, images, ours.ids, tjs.ids, 3)) rows.push(`  differs: ${d}`);
  const distinct = new Set(ours.ids.map((x) => x.join())).size;
  const finished = ours.ids.filter((x) => x.length <= STEPS).length;
  rows.push(`distinct outputs: ${distinct} | jobs: ${jobs.length} | ${(distinct / jobs.length).toFixed(2)}`);
  rows.push(
    `outputs ending before max_new_tokens: ${finished} | jobs: ${jobs.length} | ${(finished / jobs.length).toFixed(2)}`,
  );

  for (const numBeams of [1, 3]) {
    const [mine, tMine] =
      numBeams === 1 ? [ours, tOurs] : await timed(() => runnerIds(DIR, images, jobs, STEPS, numBeams));
    const [ref, tRef] = await timed(() => pytorchIds(DIR, images, jobs, STEPS, numBeams));
    const eq = sameCount(mine.ids, ref);
    rows.push(
      `runner num_beams ${numBeams} = PyTorch reference (PNG files, Pillow): ${eq}/${jobs.length} | floor 95% | ${(eq / jobs.length).toFixed(3)} ${eq >= 0.95 * jobs.length ? 'ok' : 'BELOW FLOOR'}`,
    );
    rows.push(
      `runner num_beams ${numBeams}, load included: ${tMine.toFixed(1)} s | PyTorch reference, one by one, 1 thread, load included: ${tRef.toFixed(1)} s | ${(tRef / tMine).toFixed(2)}x faster`,
    );
    for (const d of differences(jobs, images, mine.ids, ref, 3)) rows.push(`  differs: ${d}`);
    if (eq < 0.95 * jobs.length) failed = true;
  }
} finally {
  await sample.remove();
}
for (const r of rows) console.log(r);
process.exit(failed ? 1 : 0);

/**
 * Batching of the detector and of Florence-2 `<CAPTION>` through `annotateStream` (decode of the next
 * batch overlapping inference of this one) at batch 1, 4, 8, 16, for ORT intra-op threads 1 and 2; the
 * detector also with FLD_BENCH_REPLICAS sessions (default "1,2"; each its own worker thread, a batch
 * split among them). Per configuration: img/s, CPU ms per image of the whole process (every thread),
 * and the two stages alone (prepare = decode + preprocess, run = inference + post-processing, CPU ms
 * per image), anchor batch 1 with the same threads, same run.
 *
 * The floors are the claims the design makes (specialists/ort-options.ts, schemas/ort-config.ts), on
 * CPU time, each against an anchor of the same run:
 *   - detector: on CPU a conv net costs the same per image at any batch, so batching must not cost
 *     more: CPU per image at batch 8 (the config default) and 16 at most 1.25x batch 1's, per setting;
 *   - detector replicas: independent images on more sessions cost no extra work, so replicas=2 at most
 *     1.25x the CPU per image of replicas=1 with the same intra-op threads, at batch 8 and 16;
 *   - Florence-2 caption: batched greedy decoding shares each decoder call among the batch, so batch 8
 *     must save at least 1.25x CPU per image against batch 1, per setting.
 * img/s and its ratios are printed for a reader choosing settings, and judged nowhere: they are wall
 * clock on a shared machine (with no idle core, img/s follows CPU per image). The 1.25 leaves room for
 * the noise CPU time still has under others' load. Exit 1 when a floor is missed. The load average is
 * printed with the figures; every configuration runs FLD_BENCH_ROUNDS (default 3) interleaved rounds,
 * best round kept.
 * Models: FLD_BENCH_DET_DIR (default models/demo-detector, else the 320-pixel bench conv net of the
 * detector tests), FLD_BENCH_F2_DIR (default models/demo-florence2, else the varied tiny test model).
 * Images: FLD_BENCH_IMAGES (default 48) demo-world images (256x256 PNG, what the demo models see).
 * FLD_BENCH_INTRA (default "1,2"), FLD_BENCH_REPLICAS (default "1,2", detector only), FLD_BENCH_SPIN=1 (ORT intra-op threads spin-wait, ORT's default; ours is off), FLD_BENCH_F2_TOKENS (max_new_tokens, default 48), FLD_BENCH_ONLY
 * (`detector` or `florence2`).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { ImageInput } from '../specialists/adapter.ts';
import { annotateStream, type PreparingAdapter } from '../specialists/annotate-stream.ts';
import { DetectorAdapter } from '../specialists/detector/detector.ts';
import { Florence2Adapter } from '../specialists/florence2/florence2-adapter.ts';
import { describeThreads, type ThreadOptions } from '../specialists/ort-options.ts';
import { yoloModelFolder } from '../test/specialists/fixtures/model-folder.ts';
import { variedFlorence2Folder } from '../test/specialists/fixtures/florence2-sample.ts';
import { demoWorldImages } from './demo-world-images.ts';

const N = Number(process.env.FLD_BENCH_IMAGES ?? 48);
const ROUNDS = Number(process.env.FLD_BENCH_ROUNDS ?? 3);
const INTRAS = (process.env.FLD_BENCH_INTRA ?? '1,2').split(',').map(Number);
const REPLICAS = (process.env.FLD_BENCH_REPLICAS ?? '1,2').split(',').map(Number);
const TOKENS = Number(process.env.FLD_BENCH_F2_TOKENS ?? 48);
const ONLY = process.env.FLD_BENCH_ONLY;
const SPINNING = process.env.FLD_BENCH_SPIN === '1';
const BATCHES = [1, 4, 8, 16];
/** Most CPU per image a batch (or a second replica) may cost against its anchor; least a batched decoder must save. */
const CPU_TOLERANCE = 1.25;
const JUDGED_BATCHES = [8, 16];
const failures: string[] = [];

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

type Adapter = PreparingAdapter<unknown> & { setup(): Promise<void>; teardown(): Promise<void> };

/** CPU ms of this process (every thread: main, libvips, ORT workers) since `from`. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};

/** Images/s through annotateStream at this batch size (one pass), and CPU ms per image. */
async function streamRate(a: Adapter, images: ImageInput[], batch: number): Promise<{ rate: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let seen = 0;
  for await (const r of annotateStream(a, images, batch)) seen += r.sizes.length + r.errors.length;
  if (seen !== images.length) throw new Error(`annotated ${seen} of ${images.length}`);
  return { rate: images.length / ((performance.now() - t0) / 1000), cpu: cpuMs(c0) / images.length };
}

/**
 * CPU ms per image of prepare alone (decodes of a batch concurrent, as in the adapter) and of run alone
 * at `batch`. CPU time, not wall time: under others' load a wall-clock stage time says little.
 */
async function stages(a: Adapter, images: ImageInput[], batch: number): Promise<{ prepare: number; run: number }> {
  const chunks: ImageInput[][] = [];
  for (let i = 0; i < images.length; i += batch) chunks.push(images.slice(i, i + batch));
  let c0 = process.cpuUsage();
  const prepared = [];
  for (const c of chunks) prepared.push(await a.prepare(c));
  const prepare = cpuMs(c0) / images.length;
  c0 = process.cpuUsage();
  for (const p of prepared) await a.run(p);
  return { prepare, run: cpuMs(c0) / images.length };
}

interface Sweep {
  t: ThreadOptions;
  rate: Record<number, number>;
  cpu: Record<number, number>;
  prep: Record<number, number>;
  run: Record<number, number>;
}

async function sweep(
  label: string,
  make: (t: ThreadOptions) => Adapter,
  images: ImageInput[],
  settings: ThreadOptions[],
): Promise<void> {
  const sweeps: Sweep[] = [];
  const adapters = new Map<Sweep, Adapter>();
  for (const t of settings) {
    const a = make(t);
    await a.setup();
    for await (const _ of annotateStream(a, images.slice(0, 16), 16)) void _; // warm-up: ORT arenas, first-run allocations
    const s = { t, rate: {}, cpu: {}, prep: {}, run: {} };
    adapters.set(s, a);
    sweeps.push(s);
  }
  const loadBefore = load();
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order so a burst of load from others does not always hit the same configuration
    const order = sweeps.flatMap((s) => BATCHES.map((b) => [s, b] as const));
    for (let k = 0; k < order.length; k++) {
      const [s, b] = order[(k + round * 3) % order.length];
      const a = adapters.get(s)!;
      const r = await streamRate(a, images, b);
      s.rate[b] = Math.max(s.rate[b] ?? 0, r.rate);
      s.cpu[b] = Math.min(s.cpu[b] ?? Infinity, r.cpu);
      const st = await stages(a, images, b);
      s.prep[b] = Math.min(s.prep[b] ?? Infinity, st.prepare);
      s.run[b] = Math.min(s.run[b] ?? Infinity, st.run);
    }
  }
  for (const a of adapters.values()) await a.teardown();
  const th = (s: Sweep) => describeThreads(s.t);
  console.log(
    `\n${label}: ${images.length} images, best of ${ROUNDS} rounds; ORT settings: ${sweeps.map(th).join(' | ')}; load average ${loadBefore} before, ${load()} after (${availableParallelism()} cores)`,
  );
  console.log('figure | anchor | ratio');
  for (const s of sweeps) {
    for (const b of BATCHES) {
      const ratio = s.rate[b] / s.rate[1];
      console.log(
        `${label} ${th(s)} batch ${b}: ${s.rate[b].toFixed(1)} img/s, CPU ${s.cpu[b].toFixed(2)} ms/img (stages alone: prepare ${s.prep[b].toFixed(2)} + run ${s.run[b].toFixed(2)} CPU ms/img) | batch 1: ${s.rate[1].toFixed(1)} img/s, CPU ${s.cpu[1].toFixed(2)} ms/img | ${ratio.toFixed(2)}`,
      );
    }
  }
  // what batching saves in work: CPU per image end to end and of the run stage alone, batch 16 vs batch 1
  for (const s of sweeps) {
    console.log(
      `${label} ${th(s)} CPU per image end to end, batch 16: ${s.cpu[16].toFixed(2)} ms | batch 1: ${s.cpu[1].toFixed(2)} ms | ${(s.cpu[1] / s.cpu[16]).toFixed(2)}x`,
    );
    console.log(
      `${label} ${th(s)} CPU per image of run alone, batch 16: ${s.run[16].toFixed(2)} ms | batch 1: ${s.run[1].toFixed(2)} ms | ${(s.run[1] / s.run[16]).toFixed(2)}x`,
    );
  }
  if (sweeps.length > 1) {
    const one = sweeps[0];
    for (const s of sweeps.slice(1)) {
      for (const b of [1, 16])
        console.log(
          `${label} thread scaling, batch ${b}: ${th(s)} ${s.rate[b].toFixed(1)} img/s, CPU ${s.cpu[b].toFixed(2)} ms/img | ${th(one)} ${one.rate[b].toFixed(1)} img/s, CPU ${one.cpu[b].toFixed(2)} ms/img | ${(s.rate[b] / one.rate[b]).toFixed(2)}x`,
        );
    }
  }
  // for a reader choosing settings (wall clock, not judged): the best batched figure over every
  // setting against the best batch-1 figure over every setting
  const top = (bs: number[]) =>
    sweeps.flatMap((s) => bs.map((b) => ({ s, b, rate: s.rate[b] }))).reduce((x, y) => (y.rate > x.rate ? y : x));
  const batched = top(BATCHES.filter((b) => b > 1));
  const single = top([1]);
  console.log(
    `${label} best config vs best batch-1 config (img/s, wall clock, not judged): ${th(batched.s)} batch ${batched.b}: ${batched.rate.toFixed(1)} img/s | ${th(single.s)} batch 1: ${single.rate.toFixed(1)} img/s | ${(batched.rate / single.rate).toFixed(2)}x`,
  );
  floors(label, sweeps);
}

/** The design's claims on CPU per image (see the header); each missed one is added to `failures`. */
function floors(label: string, sweeps: Sweep[]): void {
  const th = (s: Sweep) => describeThreads(s.t);
  // figure / anchor in CPU per image, at most `limit`
  const judge = (what: string, figure: number, anchor: number, limit: number) => {
    const ok = figure <= limit * anchor;
    console.log(
      `${label} floor, ${what}: ${figure.toFixed(2)} CPU ms/img | ${anchor.toFixed(2)} CPU ms/img | ${(figure / anchor).toFixed(2)}x (floor <= ${limit.toFixed(2)}x): ${ok ? 'met' : 'MISSED'}`,
    );
    if (!ok) failures.push(`${label}, ${what}`);
  };
  const decoder = label.startsWith('florence2');
  for (const s of sweeps) {
    if (decoder) judge(`${th(s)} batch 8 vs batch 1`, s.cpu[8], s.cpu[1], 1 / CPU_TOLERANCE);
    else for (const b of JUDGED_BATCHES) judge(`${th(s)} batch ${b} vs batch 1`, s.cpu[b], s.cpu[1], CPU_TOLERANCE);
  }
  if (decoder) return;
  for (const s of sweeps) {
    if ((s.t.replicas ?? 1) === 1) continue;
    const one = sweeps.find((o) => (o.t.replicas ?? 1) === 1 && o.t.intraOpNumThreads === s.t.intraOpNumThreads);
    if (!one) continue;
    for (const b of JUDGED_BATCHES) judge(`${th(s)} vs replicas=1, batch ${b}`, s.cpu[b], one.cpu[b], CPU_TOLERANCE);
  }
}

const images = await demoWorldImages(N, 11);
console.log(
  `batching bench: ${N} demo-world images (256x256 PNG); ORT inter-op threads 1; intra ${INTRAS.join(',')}; detector replicas ${REPLICAS.join(',')}; load average ${load()}`,
);
const threads = (intra: number, replicas?: number): ThreadOptions => ({
  intraOpNumThreads: intra,
  interOpNumThreads: 1,
  spinning: SPINNING,
  ...(replicas ? { replicas } : {}),
});

if (ONLY !== 'florence2') {
  const demo = join('models', 'demo-detector');
  const dir =
    process.env.FLD_BENCH_DET_DIR ??
    (existsSync(join(demo, 'fld-model.json'))
      ? demo
      : await yoloModelFolder(
          'bench',
          320,
          Array.from({ length: 8 }, (_, i) => `class ${i}`),
        ));
  console.log(`detector model: ${dir}`);
  const settings = INTRAS.flatMap((intra) => REPLICAS.map((replicas) => threads(intra, replicas)));
  await sweep(
    'detector',
    (threads) => new DetectorAdapter({ modelDir: dir, threads, minScore: 0.25 }) as Adapter,
    images,
    settings,
  );
  if (dir.includes('fld-yolo-bench-')) await rm(dir, { recursive: true, force: true });
}

if (ONLY !== 'detector') {
  const demo = join('models', 'demo-florence2');
  const dir =
    process.env.FLD_BENCH_F2_DIR ?? (existsSync(join(demo, 'fld-model.json')) ? demo : variedFlorence2Folder());
  // maxBatch 16: one caption per image, so the decoder batch is the mini-batch (1, 4, 8 or 16)
  console.log(`florence2 model: ${dir}; <CAPTION> greedy, max_new_tokens ${TOKENS}`);
  await sweep(
    'florence2 caption',
    (threads) =>
      new Florence2Adapter({
        modelDir: dir,
        tasks: ['<CAPTION>'],
        threads,
        maxBatch: 16,
        numBeams: 1,
        maxNewTokens: TOKENS,
      }) as unknown as Adapter,
    images,
    INTRAS.map((intra) => threads(intra)),
  );
}
if (failures.length) {
  console.error(`floor missed: ${failures.join('; ')}`);
  process.exit(1);
}

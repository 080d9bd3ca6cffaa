/**
 * OCR on scene text that is not the demo world (bench/ocr-scene/scene-images.ts: several words per line
 * in Liberation, Noto and URW faces, turned, low contrast, clutter) plus the hand-truthed real
 * screenshots and photo crops of test/fixtures/ocr-scene/real: our adapter vs @gutenye/ocr-node (the
 * anchor, same PP-OCRv4 weights) vs tesseract (`--psm 11`, TSV words). Scored with demo/quality's
 * line-level rule (ocrCounts): word recall and precision, CER. Cost is CPU time (process.cpuUsage,
 * which counts the ORT worker threads and libvips; tesseract's from `times` of its shell), never wall
 * clock; the engines take turns 8 images at a time, and a copy of ours with inline sessions splits
 * our time into the model's and the rest. A "words anywhere" column scores the words read against the
 * image's words without boxes.
 * Floors (generated and real together): our word recall and precision >= @gutenye/ocr-node's, our
 * CER <= its CER, our CPU per image <= its CPU per image (goal 0.8x). The demo world's floors are
 * bench/ocr-world.bench.ts's; `npm run bench -- ocr` runs both.
 * FLD_BENCH_OCR_SCENE_N (default 100) generated images, seed FLD_BENCH_OCR_SCENE_SEED (default 2026);
 * FLD_BENCH_INTRA / FLD_BENCH_INTER set ORT threads (1 / 1) for both engines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ocr from '@gutenye/ocr-node';
import ort from 'onnxruntime-node';
import {
  addOcrCounts,
  emptyOcrCounts,
  ocrCounts,
  ocrScore,
  type OcrItem,
  type OcrScore,
} from '../demo/quality/ocr-score.ts';
import { annotateStream } from '../specialists/annotate-stream.ts';
import { OcrAdapter, type OcrTimings } from '../specialists/ocr/ocr.ts';
import { describeThreads, type ThreadOptions } from '../specialists/ort-options.ts';
import { missingFontPackages, sceneSet } from './ocr-scene/scene-images.ts';
import { realScenes } from './ocr-scene/real.ts';

const N = Number(process.env.FLD_BENCH_OCR_SCENE_N ?? 100);
const SEED = Number(process.env.FLD_BENCH_OCR_SCENE_SEED ?? 2026);
const threads: ThreadOptions = {
  intraOpNumThreads: Number(process.env.FLD_BENCH_INTRA ?? 1),
  interOpNumThreads: Number(process.env.FLD_BENCH_INTER ?? 1),
};

const missing = missingFontPackages();
if (missing.length) {
  console.log(`ocr-scene: fonts missing; as root: apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}

interface Item {
  id: string;
  path: string;
  bytes: Buffer;
  truth: OcrItem[];
  real: boolean;
}
const dir = mkdtempSync(join(tmpdir(), 'fld-ocr-scene-'));
const items: Item[] = [];
for (const s of await sceneSet(SEED, N)) {
  const path = join(dir, `${s.id}.${s.format === 'jpeg' ? 'jpg' : 'png'}`);
  await writeFile(path, s.bytes);
  items.push({
    id: s.id,
    path,
    bytes: s.bytes,
    truth: s.words.map((w) => ({ box: w.box, text: w.text })),
    real: false,
  });
}
for (const r of await realScenes())
  items.push({ id: r.id, path: r.path, bytes: await readFile(r.path), truth: r.words, real: true });

const boxOfPoints = (pts: number[][]) => {
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Run {
  name: string;
  read: Map<string, OcrItem[]>;
  cpuMs: number;
}
function score(r: Run, which: Item[]): OcrScore {
  let c = emptyOcrCounts();
  for (const i of which) c = addOcrCounts(c, ocrCounts(r.read.get(i.id) ?? [], i.truth));
  return ocrScore(c);
}
/**
 * Words read anywhere in the image against its true words, as multisets: no boxes, so an engine whose
 * boxes are off (@gutenye/ocr-node letterboxes its detection input and scales the boxes back by the
 * padded size) is judged on its reading alone.
 */
function bagOfWords(r: Run, which: Item[]): { recall: number; precision: number } {
  let right = 0,
    truth = 0,
    read = 0;
  for (const i of which) {
    const pool = i.truth.flatMap((w) => w.text.split(/\s+/).filter(Boolean));
    const got = (r.read.get(i.id) ?? []).flatMap((w) => w.text.split(/\s+/).filter(Boolean));
    truth += pool.length;
    read += got.length;
    for (const w of got) {
      const k = pool.indexOf(w);
      if (k >= 0) {
        pool.splice(k, 1);
        right++;
      }
    }
  }
  return { recall: truth ? right / truth : 1, precision: read ? right / read : 1 };
}

// The engines take turns, 8 images at a time, so both see the same load on a shared machine.
// Ours: as the engine runs it (ORT in worker threads, through annotateStream). A second copy of ours
// with inline sessions says where our time goes: the CPU inside each of its ORT runs is the model's
// alone. @gutenye/ocr-node runs its sessions inline too; its model time is its session.run calls.
const ocr = new OcrAdapter({ threads });
const timings: OcrTimings = { detMs: 0, recMs: 0, detRuns: 0, recRuns: 0, lines: 0 };
const profiled = new OcrAdapter({ threads: { ...threads, inference: 'inline' }, timings });
await ocr.setup();
await profiled.setup();
const gutenye = await Ocr.create({
  onnxOptions: { intraOpNumThreads: threads.intraOpNumThreads, interOpNumThreads: threads.interOpNumThreads },
});
let theirModel = 0,
  counting = false;
const proto = (ort.InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } })
  .prototype;
const run0 = proto.run;
proto.run = async function (this: unknown, ...a: unknown[]) {
  const t = cpuMs();
  try {
    return await run0.apply(this, a);
  } finally {
    if (counting) theirModel += cpuMs() - t;
  }
};
const oursRead = new Map<string, OcrItem[]>(),
  theirRead = new Map<string, OcrItem[]>();
let oursCpu = 0,
  theirCpu = 0,
  profileMs = 0;
for (let s = 0; s < items.length; s += 8) {
  const chunk = items.slice(s, s + 8);
  const inputs = chunk.map((i) => ({ image_id: i.id, bytes: i.bytes }));
  let c0 = cpuMs();
  for await (const r of annotateStream(ocr, inputs, 8)) {
    if (r.errors.length)
      throw new Error(`ocr-scene bench: our adapter failed on ${r.errors.map((e) => e.image_id).join(', ')}`);
    for (const row of r.region_text)
      oursRead.set(row.image_id, [...(oursRead.get(row.image_id) ?? []), { box: row.box, text: row.phrase }]);
  }
  oursCpu += cpuMs() - c0;
  counting = true;
  c0 = cpuMs();
  for (const i of chunk) {
    const lines = (await gutenye.detect(i.path)) as { text: string; box?: number[][] }[];
    theirRead.set(
      i.id,
      lines.filter((l) => l.box).map((l) => ({ box: boxOfPoints(l.box!), text: l.text })),
    );
  }
  theirCpu += cpuMs() - c0;
  counting = false;
  c0 = cpuMs();
  await profiled.annotate(inputs);
  profileMs += cpuMs() - c0;
}
proto.run = run0;
await ocr.teardown();
await profiled.teardown();
const ours: Run = { name: 'ours (batch 8)', read: oursRead, cpuMs: oursCpu };
const theirs: Run = { name: '@gutenye/ocr-node', read: theirRead, cpuMs: theirCpu };

/** Tesseract's TSV: level 5 rows are words, with left, top, width, height, conf, text. */
function tesseractWords(tsv: string): OcrItem[] {
  return tsv
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('5\t'))
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 12 && f[11].trim() !== '')
    .map((f) => {
      const [x, y, w, h] = f.slice(6, 10).map(Number);
      return { box: [x, y, x + w, y + h], text: f[11].trim() };
    });
}
let tess: Run | null = null;
try {
  const read = new Map<string, OcrItem[]>();
  let cpu = 0;
  for (const i of items) {
    // `times` prints the shell's children's user and system seconds on its second line
    const out = execFileSync(
      'bash',
      ['-c', 'tesseract "$1" stdout --psm 11 tsv 2>/dev/null; echo "@@times"; times', 'sh', i.path],
      { env: { ...process.env, OMP_THREAD_LIMIT: '1' } },
    ).toString();
    const [tsv, t] = out.split('@@times');
    const child = t
      .trim()
      .split('\n')[1]
      .match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
    if (child) cpu += (Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4])) * 1000;
    read.set(i.id, tesseractWords(tsv));
  }
  tess = { name: 'tesseract --psm 11', read, cpuMs: cpu };
} catch (e) {
  console.log(`tesseract not run: ${(e as Error).message.split('\n')[0]}`);
}
await rm(dir, { recursive: true, force: true });

const synthetic = items.filter((i) => !i.real),
  real = items.filter((i) => i.real);
const f3 = (v: number) => v.toFixed(3);
const engines = tess ? [ours, theirs, tess] : [ours, theirs];
const row = (what: string, which: Item[]) => {
  const s = engines.map((e) => score(e, which));
  const b = engines.map((e) => bagOfWords(e, which));
  console.log(
    `${what} | ${s
      .map(
        (x, k) =>
          `${engines[k].name}: recall ${f3(x.word_recall)}, precision ${f3(x.word_precision)}, CER ${f3(x.cer)}; ` +
          `words anywhere ${f3(b[k].recall)} / ${f3(b[k].precision)}`,
      )
      .join(' | ')}`,
  );
  return s;
};
console.log(
  `ORT threads: ${describeThreads(threads)}; ${synthetic.length} generated images (seed ${SEED}, ${synthetic.reduce((a, i) => a + i.truth.length, 0)} words), ${real.length} real crops (${real.reduce((a, i) => a + i.truth.length, 0)} words)`,
);
console.log('set | figure (ours) | anchor (@gutenye/ocr-node, same weights) | third (tesseract)');
const all = row('all', items);
row('generated', synthetic);
const realScores = real.length ? row('real', real) : null;
const per = (ms: number) => `${(ms / items.length).toFixed(1)} ms`;
console.log(`CPU per image: ${engines.map((e) => `${e.name} ${per(e.cpuMs)}`).join(' | ')}`);
console.log(
  `  ours, inline and one batch at a time: ${per(profileMs)} = model ${per(timings.detMs + timings.recMs)} (detection ${per(timings.detMs)}, ` +
    `recognition ${per(timings.recMs)}: ${timings.lines} lines in ${timings.recRuns} runs) + rest ${per(profileMs - timings.detMs - timings.recMs)}`,
);
console.log(`  @gutenye/ocr-node: model ${per(theirModel)} + rest ${per(theirs.cpuMs - theirModel)}`);
const ratio = ours.cpuMs / theirs.cpuMs;
console.log(`CPU ratio ours / @gutenye/ocr-node: ${ratio.toFixed(2)} (floor 1.0, goal 0.8)`);
if (realScores) {
  for (const i of real) {
    const show = (r: Run) => (r.read.get(i.id) ?? []).map((x) => x.text).join(' / ');
    console.log(`  ${i.id}: ours "${show(ours)}" | gutenye "${show(theirs)}"`);
  }
}
const [o, t] = all;
const checks: [string, boolean][] = [
  [`word recall ${f3(o.word_recall)} >= ${f3(t.word_recall)}`, o.word_recall >= t.word_recall],
  [`word precision ${f3(o.word_precision)} >= ${f3(t.word_precision)}`, o.word_precision >= t.word_precision],
  [`CER ${f3(o.cer)} <= ${f3(t.cer)}`, o.cer <= t.cer],
  [`CPU per image ratio ${ratio.toFixed(2)} <= 1.0`, ratio <= 1],
];
for (const [what, ok] of checks) console.log(`floor: ${what}: ${ok ? 'met' : 'NOT MET'}`);
if (checks.some(([, ok]) => !ok)) process.exitCode = 1;

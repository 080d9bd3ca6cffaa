/**
 * OCR on demo-world images that all have words (generateWorld, wordProbability 1, 256x256, words
 * 14-25 px, 30% rotated): our adapter vs @gutenye/ocr-node (the anchor, same PP-OCRv4 weights) vs
 * tesseract (Debian tesseract-ocr, `--psm 11`, TSV word boxes). Scored per image against the true
 * words with demo/quality's line-level rule (ocrCounts): CER, word recall and precision, word
 * boxes matched at IoU 0.5, ms per image, and CPU per image (process.cpuUsage: the ORT worker
 * threads and libvips count, the machine's other jobs do not). Floors: our CER <= @gutenye/ocr-node's,
 * our CPU per image <= its (goal 0.8x).
 * FLD_BENCH_OCR_WORLD_N (default 200) images; FLD_BENCH_INTRA / FLD_BENCH_INTER set ORT threads (1 / 1).
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ocr from '@gutenye/ocr-node';
import {
  addOcrCounts,
  emptyOcrCounts,
  ocrCounts,
  ocrScore,
  type OcrItem,
  type OcrScore,
} from '../demo/quality/ocr-score.ts';
import { generateWorld, GENERATE_DEFAULTS } from '../demo/world/generate.ts';
import { COLLECTION_DIR } from '../demo/world/collection-manifest.ts';
import { readTruth } from '../demo/world/truth-store.ts';
import { annotateStream } from '../specialists/annotate-stream.ts';
import { OcrAdapter } from '../specialists/ocr/ocr.ts';
import { describeThreads, type ThreadOptions } from '../specialists/ort-options.ts';

const N = Number(process.env.FLD_BENCH_OCR_WORLD_N ?? 200);
const threads: ThreadOptions = {
  intraOpNumThreads: Number(process.env.FLD_BENCH_INTRA ?? 1),
  interOpNumThreads: Number(process.env.FLD_BENCH_INTER ?? 1),
};

const dir = mkdtempSync(join(tmpdir(), 'fld-ocr-world-'));
await generateWorld({ ...GENERATE_DEFAULTS, out: dir, images: N, seed: 2026, wordProbability: 1 });
const truth = await readTruth(dir);
const images = truth.images.map((i) => ({ id: i.image_id, path: join(dir, COLLECTION_DIR, i.uri) }));
const truthOf = new Map<string, OcrItem[]>(images.map((i) => [i.id, []]));
for (const w of truth.words) truthOf.get(w.image_id)!.push({ box: w.box, text: w.text });

const boxOfPoints = (pts: number[][]) => {
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
};

interface Run {
  name: string;
  score: OcrScore;
  msPerImage: number;
  cpuPerImage?: number;
}
function scored(name: string, read: Map<string, OcrItem[]>, ms: number, cpu?: number): Run {
  let c = emptyOcrCounts();
  for (const i of images) c = addOcrCounts(c, ocrCounts(read.get(i.id) ?? [], truthOf.get(i.id)!));
  return {
    name,
    score: ocrScore(c),
    msPerImage: ms / images.length,
    cpuPerImage: cpu === undefined ? undefined : cpu / images.length,
  };
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Ours: batches of 8 through the stream (decoding overlaps inference), as the engine runs it. The two
// engines take turns, 8 images at a time, so both see the same load on a shared machine.
const ocr = new OcrAdapter({ threads });
await ocr.setup();
const gutenye = await Ocr.create({
  onnxOptions: { intraOpNumThreads: threads.intraOpNumThreads, interOpNumThreads: threads.interOpNumThreads },
});
const inputs = await Promise.all(images.map(async (i) => ({ image_id: i.id, bytes: await readFile(i.path) })));
const oursRead = new Map<string, OcrItem[]>(),
  theirRead = new Map<string, OcrItem[]>();
let oursMs = 0,
  oursCpu = 0,
  theirMs = 0,
  theirCpu = 0;
for (let s = 0; s < images.length; s += 8) {
  let t0 = performance.now(),
    c0 = cpuMs();
  for await (const r of annotateStream(ocr, inputs.slice(s, s + 8), 8)) {
    if (r.errors.length)
      throw new Error(`ocr-world bench: our adapter failed on ${r.errors.map((e) => e.image_id).join(', ')}`);
    for (const row of r.region_text)
      oursRead.set(row.image_id, [...(oursRead.get(row.image_id) ?? []), { box: row.box, text: row.phrase }]);
  }
  oursMs += performance.now() - t0;
  oursCpu += cpuMs() - c0;
  t0 = performance.now();
  c0 = cpuMs();
  for (const i of images.slice(s, s + 8)) {
    const lines = (await gutenye.detect(i.path)) as { text: string; box?: number[][] }[];
    theirRead.set(
      i.id,
      lines.filter((l) => l.box).map((l) => ({ box: boxOfPoints(l.box!), text: l.text })),
    );
  }
  theirMs += performance.now() - t0;
  theirCpu += cpuMs() - c0;
}
await ocr.teardown();
const ours = scored('ours (batch 8)', oursRead, oursMs, oursCpu);
const theirs = scored('@gutenye/ocr-node', theirRead, theirMs, theirCpu);

/** Tesseract's TSV: level 5 rows are words, with left, top, width, height, conf, text. */
function tesseractWords(tsv: string): OcrItem[] {
  return tsv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((f) => f[0] === '5' && f.length >= 12 && f[11].trim() !== '')
    .map((f) => {
      const [x, y, w, h] = f.slice(6, 10).map(Number);
      return { box: [x, y, x + w, y + h], text: f[11].trim() };
    });
}
let tess: Run | null = null;
try {
  const t0 = performance.now();
  const read = new Map<string, OcrItem[]>();
  for (const i of images) {
    const out = execFileSync('tesseract', [i.path, 'stdout', '--psm', '11', 'tsv'], {
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    read.set(i.id, tesseractWords(out.toString()));
  }
  tess = scored('tesseract --psm 11', read, performance.now() - t0);
} catch (e) {
  console.log(`tesseract not run: ${(e as Error).message.split('\n')[0]}`);
}
await rm(dir, { recursive: true, force: true });

const f = (v: number) => v.toFixed(4);
const describe = (r: Run) =>
  `CER ${f(r.score.cer)}, word recall ${r.score.word_recall.toFixed(3)}, precision ${r.score.word_precision.toFixed(3)}, ` +
  `word boxes at IoU 0.5 ${(r.score.boxes_matched / (r.score.matched + r.score.missed)).toFixed(3)} (matched ${r.score.matched}, missed ${r.score.missed}, extra ${r.score.extra}), ${r.msPerImage.toFixed(1)} ms/image (${r.name})`;
console.log(
  `ORT threads: ${describeThreads(threads)}; ${images.length} demo-world images (seed 2026, 256x256), ${truth.words.length} true words, ${ours.score.truth_chars} characters`,
);
console.log('figure | anchor | ratio');
for (const r of tess ? [ours, tess] : [ours]) {
  console.log(
    `${describe(r)} | ${describe(theirs)} | CER ratio ${(r.score.cer / theirs.score.cer).toFixed(2)}, time ratio ${(r.msPerImage / theirs.msPerImage).toFixed(2)}`,
  );
}
const cpuRatio = ours.cpuPerImage! / theirs.cpuPerImage!;
console.log(
  `CPU per image: ours ${ours.cpuPerImage!.toFixed(1)} ms | @gutenye/ocr-node ${theirs.cpuPerImage!.toFixed(1)} ms | ratio ${cpuRatio.toFixed(2)} (floor 1.0, goal 0.8)`,
);
const met = ours.score.cer <= theirs.score.cer;
console.log(
  `floor: our CER ${f(ours.score.cer)} <= @gutenye/ocr-node's ${f(theirs.score.cer)}: ${met ? 'met' : 'NOT MET'}`,
);
console.log(
  `floor: our CPU per image ${cpuRatio.toFixed(2)}x @gutenye/ocr-node's <= 1.0: ${cpuRatio <= 1 ? 'met' : 'NOT MET'}`,
);
if (!met || cpuRatio > 1) process.exitCode = 1;

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { briefCaption, captionsOf } from './captions.ts';
import { WorldArgumentError, writeAtomic } from './files.ts';
import { DEFAULT_NOISE, labelsOf, perturbScene } from './labels.ts';
import { COLLECTION_DIR, MANIFEST, type ManifestLine } from './collection-manifest.ts';
import { renderPng } from './render.ts';
import { Rng } from './rng.ts';
import { sampleScene } from './scene.ts';
import { Worker } from 'node:worker_threads';
import { TRUTH_TABLES, addToTruth, emptyTruth, type Truth } from './truth.ts';
import { WORLD_INFO, truthDir, writeTruth, type WorldInfo } from './truth-store.ts';

export const GENERATOR = 'fld-world@1';
const GENERATING = 'generating.json';

export interface GenerateOptions {
  out: string;
  images: number;
  seed: number;
  width: number;
  height: number;
  /** Probability that an image has written words. */
  wordProbability: number;
  /** Fraction of images whose manifest line carries an alt-text (a noisy brief caption, as web alt-text is). */
  altTextFraction: number;
  /** Fraction of images whose manifest line carries pre-existing (noisy) boxes. */
  boxesFraction: number;
  /**
   * Fraction of images whose manifest line carries the truth's detailed and more detailed captions as
   * pre-existing human texts (paper section 4.2: "only a small set of detailed text and more detailed
   * text are generated" by LLMs from human annotations, the only source of `<DETAILED_CAPTION>` and
   * `<MORE_DETAILED_CAPTION>` before the refined model writes them). The engine merges them as source
   * `human`; demo/quality leaves them out of every figure.
   */
  detailedFraction: number;
  /** Worker threads drawing images; the output does not depend on it. */
  workers: number;
}
export const GENERATE_DEFAULTS = {
  width: 256,
  height: 256,
  wordProbability: 0.4,
  altTextFraction: 0.5,
  boxesFraction: 0,
  detailedFraction: 0.05,
  workers: 2,
};

export function checkGenerateOptions(o: GenerateOptions): void {
  const bad = (what: string, v: unknown) => new WorldArgumentError(`world generate: ${what}, got ${JSON.stringify(v)}`);
  if (!Number.isInteger(o.images) || o.images < 1) throw bad('--images must be a whole number of at least 1', o.images);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    throw bad('--seed must be a whole number from 0 to 4294967295', o.seed);
  for (const [k, v] of [
    ['--width', o.width],
    ['--height', o.height],
  ] as const)
    if (!Number.isInteger(v) || v < 32 || v > 4096) throw bad(`${k} must be a whole number from 32 to 4096`, v);
  for (const [k, v] of [
    ['--word-probability', o.wordProbability],
    ['--alt-text-fraction', o.altTextFraction],
    ['--boxes-fraction', o.boxesFraction],
    ['--detailed-fraction', o.detailedFraction],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw bad(`${k} must be between 0 and 1`, v);
  }
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 64)
    throw bad('--workers must be a whole number from 1 to 64', o.workers);
}

/** The folder must be creatable and writable, and hold nothing or the same world (so a rerun is idempotent). */
function prepareFolder(o: GenerateOptions): void {
  try {
    mkdirSync(join(o.out, COLLECTION_DIR, 'images'), { recursive: true });
    mkdirSync(truthDir(o.out), { recursive: true });
    const probe = join(o.out, `.write-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new WorldArgumentError(`world generate: cannot write to --out ${o.out} (${err.code ?? err.message})`);
  }
  // world.json (complete) or generating.json (an interrupted run) says which world the folder holds.
  for (const marker of [WORLD_INFO, GENERATING]) {
    const file = join(truthDir(o.out), marker);
    if (!existsSync(file)) continue;
    const info = JSON.parse(readFileSync(file, 'utf8')) as WorldInfo;
    if (
      info.seed !== o.seed ||
      info.images !== o.images ||
      info.width !== o.width ||
      info.height !== o.height ||
      info.word_probability !== o.wordProbability
    ) {
      throw new WorldArgumentError(
        `world generate: --out ${o.out} already holds another world (seed ${info.seed}, ${info.images} images); choose an empty folder`,
      );
    }
    return;
  }
  if (readdirSync(join(o.out, COLLECTION_DIR, 'images')).length > 0) {
    throw new WorldArgumentError(
      `world generate: --out ${o.out} already holds images but no world; choose an empty folder`,
    );
  }
}

export interface ImagePart {
  truth: Truth;
  line: ManifestLine;
}

/** Draws and writes image i and returns its truth rows and manifest line; a pure function of (options, i). */
export function makeImage(o: GenerateOptions, i: number): ImagePart {
  const scene = sampleScene(o.seed, i, { width: o.width, height: o.height, wordProbability: o.wordProbability });
  const uri = `images/${scene.image_id}.png`;
  writeAtomic(join(o.out, COLLECTION_DIR, uri), renderPng(scene, o.seed));
  const truth = emptyTruth();
  const captions = captionsOf(scene);
  addToTruth(truth, scene, uri, captions);
  const side = Rng.forImage(o.seed, 'collection', i);
  const line: ManifestLine = { uri };
  if (side.chance(o.altTextFraction))
    line.alt_text = briefCaption(
      perturbScene(scene, { ...DEFAULT_NOISE, captionMissingObject: 0.3, captionWrongColour: 0.2 }, side),
    ).text;
  if (side.chance(o.boxesFraction)) {
    line.boxes = labelsOf(scene, DEFAULT_NOISE, side)
      .region_text.filter((r) => r.kind === 'object')
      .map((r) => ({ box: r.box, category: r.phrase }));
  }
  // a stream of its own, so the other manifest fields and the images stay what they were without it
  if (Rng.forImage(o.seed, 'detailed', i).chance(o.detailedFraction)) {
    line.texts = captions
      .filter((c) => c.granularity !== 'brief')
      .map((c) => ({ granularity: c.granularity, text: c.text }));
  }
  return { truth, line };
}

// Workers run TypeScript through tsx the way bin/fld.js does: register the loader, then import.
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./generate-worker.ts', import.meta.url).href)}); });`;

/** Images in index order; with `workers` > 1 they are drawn in worker threads (each image is independent). */
async function makeImages(
  o: GenerateOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<ImagePart[]> {
  const workers = Math.max(1, Math.min(o.workers, o.images));
  if (workers === 1) {
    const parts: ImagePart[] = [];
    for (let i = 0; i < o.images; i++) {
      parts.push(makeImage(o, i));
      onProgress?.(i + 1, o.images);
    }
    return parts;
  }
  const parts: ImagePart[] = new Array(o.images);
  let done = 0;
  await Promise.all(
    Array.from(
      { length: workers },
      (_, k) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(WORKER_BOOT, { eval: true, workerData: { options: o, first: k, step: workers } });
          w.on('message', (m: { index: number; part: ImagePart }) => {
            parts[m.index] = m.part;
            onProgress?.(++done, o.images);
          });
          w.on('error', reject);
          w.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`world generate: worker ${k} exited with code ${code}`)),
          );
        }),
    ),
  );
  return parts;
}

export interface GenerateResult {
  images: number;
  objects: number;
  words: number;
  captions: number;
  seconds: number;
}

export async function generateWorld(
  o: GenerateOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<GenerateResult> {
  checkGenerateOptions(o);
  prepareFolder(o);
  const info: WorldInfo = {
    generator: GENERATOR,
    seed: o.seed,
    images: o.images,
    width: o.width,
    height: o.height,
    word_probability: o.wordProbability,
    alt_text_fraction: o.altTextFraction,
    detailed_fraction: o.detailedFraction,
  };
  writeAtomic(join(truthDir(o.out), GENERATING), JSON.stringify(info, null, 2) + '\n');
  const t0 = performance.now();
  const truth = emptyTruth();
  const manifest: ManifestLine[] = [];
  const parts = await makeImages(o, onProgress);
  for (const p of parts) {
    for (const t of TRUTH_TABLES) (truth[t] as unknown[]).push(...(p.truth[t] as unknown[]));
    manifest.push(p.line);
  }
  writeAtomic(join(o.out, COLLECTION_DIR, MANIFEST), manifest.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await writeTruth(o.out, truth);
  // world.json last: its presence says the truth is complete.
  writeAtomic(join(truthDir(o.out), WORLD_INFO), JSON.stringify(info, null, 2) + '\n');
  rmSync(join(truthDir(o.out), GENERATING), { force: true });
  return {
    images: o.images,
    objects: truth.objects.length,
    words: truth.words.length,
    captions: truth.captions.length,
    seconds: (performance.now() - t0) / 1000,
  };
}

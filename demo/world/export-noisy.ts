import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ANNOTATION_KINDS, RECORD_SCHEMAS } from '../../schemas/records.ts';
import { validate } from '../../schemas/validate.ts';
import { writeAtomic, WorldArgumentError } from './files.ts';
import { SPECIALIST_TASKS, TASKS } from './export-rows.ts';
import { writeTrainingExport } from './export-build.ts';
import { worldLabels, type NoiseKnobs } from './labels.ts';
import { COLLECTION_DIR } from './collection-manifest.ts';
import { Rng } from './rng.ts';
import { scenesFromTruth } from './truth.ts';
import { readTruth, readWorldInfo } from './truth-store.ts';

/**
 * `fld world export-noisy`: noisy labels from the truth (standing in for imperfect specialists), and
 * the training exports the demo specialists are trained on: one folder per specialist (its tasks
 * only), or one folder with every task (`combined`).
 */
export interface ExportNoisyOptions {
  world: string;
  out: string;
  seed: number;
  noise: NoiseKnobs;
  validFraction: number;
  format: 'jsonl' | 'parquet' | 'both';
  /** Only the first N images (a small training budget); all when undefined. */
  limit?: number;
  combined: boolean;
}

export interface ExportNoisyResult {
  images: number;
  labels: Record<string, number>;
  exports: Record<string, { rows: number; files: string[] }>;
}

export async function exportNoisy(o: ExportNoisyOptions): Promise<ExportNoisyResult> {
  const bad = (msg: string) => new WorldArgumentError(`world export-noisy: ${msg}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    throw bad(`--seed must be a whole number from 0 to 4294967295, got ${o.seed}`);
  if (!(o.validFraction >= 0 && o.validFraction < 1))
    throw bad(`--valid-fraction must be in [0, 1), got ${o.validFraction}`);
  if (!['jsonl', 'parquet', 'both'].includes(o.format))
    throw bad(`--format must be jsonl, parquet or both, got ${JSON.stringify(o.format)}`);
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1))
    throw bad(`--limit must be a whole number of at least 1, got ${o.limit}`);
  for (const [k, v] of Object.entries(o.noise))
    if (!(v >= 0 && v <= 1)) throw bad(`noise knob ${k} must be between 0 and 1, got ${v}`);
  let info;
  try {
    info = readWorldInfo(o.world);
  } catch {
    throw bad(`--world ${o.world} is not a world made by "fld world generate" (no truth/world.json)`);
  }
  try {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, `.write-probe-${process.pid}`), '');
    rmSync(join(o.out, `.write-probe-${process.pid}`));
  } catch (e) {
    throw bad(`cannot write to --out ${o.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }

  const truth = await readTruth(o.world);
  const scenes = scenesFromTruth(truth).slice(0, o.limit ?? Infinity);
  const labels = worldLabels(scenes, o.noise, o.seed, Rng.forImage);
  const labelDir = join(o.out, 'labels');
  mkdirSync(labelDir, { recursive: true });
  const labelCounts: Record<string, number> = {};
  for (const kind of ANNOTATION_KINDS) {
    const rows = labels[kind] as unknown[];
    rows.forEach((r, i) => validate(RECORD_SCHEMAS[kind], r, `noisy ${kind} row ${i}`));
    writeAtomic(
      join(labelDir, `${kind}.jsonl`),
      rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''),
    );
    labelCounts[kind] = rows.length;
  }

  const byId = new Map(truth.images.map((im) => [im.image_id, im]));
  const images = scenes.map((s) => {
    const im = byId.get(s.image_id)!;
    return {
      image_id: s.image_id,
      file: join(o.world, COLLECTION_DIR, im.uri),
      name: basename(im.uri),
      width: im.width,
      height: im.height,
    };
  });
  const exports = await writeTrainingExport(o.out, images, labels, {
    groups: o.combined ? { all: TASKS } : SPECIALIST_TASKS,
    validFraction: o.validFraction,
    format: o.format,
  });
  // The resolved configuration, written last: its presence says the export is complete.
  writeAtomic(
    join(o.out, 'export.json'),
    JSON.stringify(
      {
        world: { seed: info.seed, images: info.images },
        seed: o.seed,
        noise: o.noise,
        valid_fraction: o.validFraction,
        limit: o.limit ?? null,
        combined: o.combined,
        labels: labelCounts,
        exports: Object.fromEntries(Object.entries(exports).map(([k, v]) => [k, v.rows])),
      },
      null,
      2,
    ) + '\n',
  );
  return { images: scenes.length, labels: labelCounts, exports };
}

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../../schemas/config.ts';
import { EXPORT_TASKS, type ExportConfig } from '../../schemas/export-config.ts';
import { MODEL_MANIFEST_FILE } from '../../schemas/model-manifest.ts';
import { readManifest } from '../../specialists/registry/model-folder.ts';
import { registerModel } from '../../specialists/registry/register.ts';
import { readRoundPlan } from '../engine/plan-files.ts';
import { ExportInputError } from '../export/export-errors.ts';
import { exportRound } from '../export/export-round.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { checkModel } from './check-model.ts';
import { DEFAULT_DETECTOR_TRAIN_COMMAND, DEFAULT_TRAIN_COMMAND, trainerArgv } from './command.ts';
import { TrainStageError } from './train-errors.ts';
import { trainedModelName, trainMarkerKey, TRAIN_FAMILIES, type TrainFamily } from './names.ts';
import { runTrainer, type TrainerLine } from './run-trainer.ts';

export {
  detectorModelName,
  modelName,
  trainedModelName,
  trainMarkerKey,
  TRAIN_FAMILIES,
  type TrainFamily,
} from './names.ts';

/**
 * The training stage of one round (docs/training-stage.md), the same code under
 * `fld train --local`, the `fld.train` job and `fld run --rounds`:
 *
 *   round R's annotations -> JSONL + images export in a temp folder -> the trainer command
 *   (export, init model, out folder) with its progress streamed -> the model folder checked (manifest,
 *   loads, generates on one image) -> registered as `<C>-round-<R>` -> `<C>/round-R/_train.json` last.
 *
 * With `family: 'detector'` (`fld train --family detector`, `trainDetectorRound`) the same stage trains
 * the detector on the round's `<OD>` rows alone: config `refine.trainCommands.detector`, started from
 * the round's detector unless `init` names one, registered as `<C>-detector-round-<R>`, marker
 * `<C>/round-R/_train-detector.json`. The registered fld-model.json records its lineage either way
 * (`trained_on: {collection, round}`, `init`).
 *
 * Any failure throws TrainStageError naming which failure it was; nothing is registered and no marker
 * is written, so the previously registered model stays. With the marker present and its model still
 * registered (same fld-model.json sha256) the call does nothing and returns the recorded result.
 */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Trainer timeout when none is given: long enough for a real GPU fine-tune, short of "forever". */
export const DEFAULT_TIMEOUT_S = 6 * 3600;

export interface TrainRoundOptions {
  /** trainCommand and export options come from here. */
  config: EngineConfig;
  /** Where the round is (default: config.storage). */
  storage?: Storage;
  collection: string;
  round: number;
  /** Registry folder the model is registered in (absolute, or resolved from the working folder). */
  registry: string;
  /** What is trained (default florence2): the Florence-2 model, or the round's detector (self-training). */
  family?: TrainFamily;
  /**
   * Starting model: a registered model name or a model folder. florence2: null trains from scratch.
   * detector: null (or absent) starts from the detector the round ran (`defaultDetectorInit`).
   */
  init?: string | null;
  /** Passed as {steps}; null leaves the trainer's default. */
  steps?: number | null;
  timeoutS?: number;
  /** Every stdout line of the trainer, in order (JSON progress events parsed). */
  onLine?: (l: TrainerLine) => void | Promise<void>;
  /** Messages of the stage itself (exporting, checking, registering). */
  onStage?: (message: string) => void | Promise<void>;
}

export interface TrainMetrics {
  steps?: number;
  train_rows?: number;
  valid_rows?: number;
  final_loss?: number;
  /** Numeric fields of metrics.json's `valid` (loss, token_accuracy, f1, ...). */
  valid?: Record<string, number>;
}

/** `_train.json`: the step's done marker. */
export interface TrainMarker {
  collection: string;
  round: number;
  model: string;
  registry: string;
  dir: string;
  fld_model_sha256: string;
  family: string;
  init: string | null;
  steps: number | null;
  metrics: TrainMetrics | null;
  /** Wall seconds of export + training + check + registration. */
  seconds: number;
  trainer_seconds: number;
  /** What the model generated on the check image. */
  check: string;
}

export interface TrainResult extends TrainMarker {
  /** True when the marker was already there and nothing ran. */
  resumed: boolean;
}

const sha256Of = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** The recorded result, when the marker (of `family`) exists and its model is registered unchanged; else null. */
export async function finishedTraining(
  storage: Storage,
  collection: string,
  round: number,
  registry: string,
  family: TrainFamily = 'florence2',
): Promise<TrainMarker | null> {
  const key = trainMarkerKey(collection, round, family);
  if (!(await storage.exists(key))) return null;
  let m: TrainMarker;
  try {
    m = JSON.parse(Buffer.from(await storage.get(key)).toString('utf8')) as TrainMarker;
  } catch {
    return null;
  }
  const manifest = join(resolve(registry), m.model ?? '', MODEL_MANIFEST_FILE);
  if (!m.model || !existsSync(manifest) || (await sha256Of(manifest)) !== m.fld_model_sha256) return null;
  return { ...m, registry: resolve(registry), dir: join(resolve(registry), m.model) };
}

/** A registered name (`<registry>/<name>`) or a folder holding fld-model.json. */
export function resolveInit(init: string, registry: string): string {
  const named = join(registry, init);
  if (!init.includes('/') && existsSync(join(named, MODEL_MANIFEST_FILE))) return named;
  const dir = isAbsolute(init) ? init : resolve(init);
  if (existsSync(join(dir, MODEL_MANIFEST_FILE))) return dir;
  throw new TrainStageError(
    'bad-input',
    `train: --init ${init} is neither a model registered in ${registry} nor a model folder with ${MODEL_MANIFEST_FILE}`,
  );
}

/** How the lineage names an init folder: its registered name when it is a model of `registry`, else its path. */
export function initLabel(dir: string | null, registry: string): string | null {
  if (!dir) return null;
  return resolve(dirname(dir)) === resolve(registry) ? basename(dir) : resolve(dir);
}

/**
 * The detector a detector training of round R starts from when no `--init` is given: the detector
 * folder round R ran (its plan's `specialists.detector`), else the one the latest earlier round ran,
 * down to round 0 (a round whose detector slot ran a Florence-2 model's `<OD>` is passed over); null
 * when no round ran a detector-family model (the trainer then starts from scratch, classes from the
 * export). Returns the folder and which round's plan named it.
 */
export async function defaultDetectorInit(
  storage: Storage,
  collection: string,
  round: number,
  registry: string,
): Promise<{ dir: string; round: number } | null> {
  for (let r = round; r >= 0; r--) {
    const ref = (await readRoundPlan(storage, collection, r))?.specialists.detector;
    if (!ref) continue;
    let dir: string;
    try {
      dir = resolveInit(ref, registry);
    } catch {
      continue;
    }
    const family = await readManifest(dir).then(
      (m) => m.family,
      () => null,
    );
    if (family === 'detector') return { dir, round: r };
  }
  return null;
}

/** The export of a detector training: the configured split and seed, the `<OD>` task only (every image that has boxes). */
const detectorExport = (cfg: ExportConfig): ExportConfig => ({
  ...cfg,
  tasks: Object.fromEntries(EXPORT_TASKS.map((t) => [t, t === '<OD>' ? 1 : 0])) as ExportConfig['tasks'],
});

function summarise(metrics: Record<string, unknown>): TrainMetrics {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: TrainMetrics = {};
  for (const k of ['steps', 'train_rows', 'valid_rows'] as const)
    if (num(metrics[k]) !== undefined) out[k] = num(metrics[k]);
  const curve = metrics.loss_curve;
  if (Array.isArray(curve) && curve.length) out.final_loss = num((curve.at(-1) as { loss?: unknown }).loss);
  if (metrics.valid && typeof metrics.valid === 'object') {
    out.valid = Object.fromEntries(Object.entries(metrics.valid).filter(([, v]) => num(v) !== undefined)) as Record<
      string,
      number
    >;
  }
  return out;
}

/** The first image of the export's valid split (else train): what the model check generates on. */
async function sampleImage(exportDir: string): Promise<string> {
  for (const split of ['valid', 'train']) {
    const text = await readFile(join(exportDir, split, 'annotations.jsonl'), 'utf8').catch(() => '');
    const first = text.split('\n').find((l) => l.trim());
    if (first) return join(exportDir, split, (JSON.parse(first) as { image: string }).image);
  }
  throw new TrainStageError('bad-input', `train: the export at ${exportDir} has no rows`);
}

/**
 * The detector's training of round R (`fld train --family detector`): `trainRound` with family
 * `detector`. What the rounds loop calls after the florence2 training of round R when config
 * `refine.retrain` includes `detector`, so refinement round R+1 runs `<C>-detector-round-<R>`.
 */
export function trainDetectorRound(o: Omit<TrainRoundOptions, 'family'>): Promise<TrainResult> {
  return trainRound({ ...o, family: 'detector' });
}

export async function trainRound(o: TrainRoundOptions): Promise<TrainResult> {
  const t0 = Date.now();
  const { collection, round } = o;
  const family = o.family ?? 'florence2';
  if (!TRAIN_FAMILIES.includes(family))
    throw new TrainStageError('bad-input', `train: family must be one of ${TRAIN_FAMILIES.join(', ')}, got ${family}`);
  if (!Number.isInteger(round) || round < 0)
    throw new TrainStageError('bad-input', `train: round must be a whole number >= 0, got ${round}`);
  if (o.steps != null && !(Number.isInteger(o.steps) && o.steps >= 1))
    throw new TrainStageError('bad-input', `train: steps must be a whole number >= 1, got ${o.steps}`);
  const timeoutS = o.timeoutS ?? DEFAULT_TIMEOUT_S;
  if (!(timeoutS > 0)) throw new TrainStageError('bad-input', `train: timeout must be > 0 seconds, got ${timeoutS}`);
  const registry = resolve(o.registry);
  const model = trainedModelName(collection, round, family);
  const markerKey = trainMarkerKey(collection, round, family);
  // the registry's name rule (schemas/model-manifest.ts), checked before hours of training, not after
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(model))
    throw new TrainStageError(
      'bad-input',
      `train: collection "${collection}" cannot name a registered model (${model}: letters, digits, ".", "_" and "-" only)`,
    );
  const ownStorage = o.storage ? null : openStorage(o.config.storage);
  const storage = o.storage ?? ownStorage!;
  const say = async (m: string) => {
    await o.onStage?.(m);
  };
  let work: string | null = null;
  let out: string | null = null;
  try {
    const done = await finishedTraining(storage, collection, round, registry, family);
    if (done) {
      await say(`round ${round} of ${collection} is already trained: ${done.model} (${markerKey})`);
      return { ...done, resumed: true };
    }
    // a marker whose model is gone or was replaced no longer says "done"
    if (await storage.exists(markerKey)) await storage.delete(markerKey);
    let init = o.init ? resolveInit(o.init, registry) : null;
    if (init && family === 'detector') {
      const f = (await readManifest(init)).family;
      if (f !== 'detector')
        throw new TrainStageError(
          'bad-input',
          `train: --init ${o.init} is a ${f} model; the detector training starts from a detector`,
        );
    }
    if (!init && family === 'detector') {
      const d = await defaultDetectorInit(storage, collection, round, registry);
      init = d?.dir ?? null;
      await say(
        d
          ? `starting from the detector round ${d.round} ran: ${d.dir}`
          : `no round up to ${round} of ${collection} ran a detector-family model: training the detector from scratch`,
      );
    }
    out = join(registry, `.train-${model}-${process.pid}-${Date.now()}`);
    work = await mkdtemp(join(tmpdir(), `fld-train-${collection}-r${round}-`));
    const exportDir = join(work, 'export');
    const argv =
      family === 'detector'
        ? trainerArgv(
            o.config.refine.trainCommands.detector,
            { export: exportDir, out, init, steps: o.steps ?? null },
            DEFAULT_DETECTOR_TRAIN_COMMAND,
            'refine.trainCommands.detector',
          )
        : trainerArgv(
            o.config.trainCommand,
            { export: exportDir, out, init, steps: o.steps ?? null },
            DEFAULT_TRAIN_COMMAND,
          );

    await say(
      `exporting round ${round} of ${collection} (JSONL + images${family === 'detector' ? ', <OD> rows only' : ''}) to ${exportDir}`,
    );
    const exportStorage = openStorage(exportDir);
    try {
      const s = await exportRound({
        storage,
        collection,
        round,
        out: { storage: exportStorage, prefix: '' },
        format: 'jsonl',
        embed: true,
        config: family === 'detector' ? detectorExport(o.config.export) : o.config.export,
      });
      const missing = ['train', 'valid'].filter((k) => !s.rows.per_split[k]);
      if (missing.length)
        throw new TrainStageError(
          'bad-input',
          `train: the export of round ${round} of ${collection} has no ${missing.join(' or ')} rows (${s.rows.total} rows from ${s.images.exported} images); the trainer needs both (config export.splits)`,
        );
    } catch (e) {
      if (e instanceof ExportInputError) throw new TrainStageError('bad-input', `train: ${e.message}`);
      throw e;
    } finally {
      await exportStorage.close();
    }

    await mkdir(registry, { recursive: true });
    await say(`running the trainer: ${argv.join(' ')}`);
    const ran = await runTrainer({
      argv,
      cwd: REPO_ROOT,
      timeoutS,
      onLine: o.onLine,
      env: {
        ...process.env,
        FLD_TRAIN_EXPORT: exportDir,
        FLD_TRAIN_OUT: out,
        FLD_TRAIN_INIT: init ?? '',
        FLD_TRAIN_STEPS: o.steps == null ? '' : String(o.steps),
      },
    });

    if (!existsSync(join(out, MODEL_MANIFEST_FILE))) {
      throw new TrainStageError(
        'bad-model',
        `train: the trainer exited 0 but wrote no model folder with ${MODEL_MANIFEST_FILE} at ${out}`,
      );
    }
    await say('checking the model: manifest, load, one generation');
    const check = await checkModel(out, await sampleImage(exportDir));
    if (check.manifest.family !== family)
      throw new TrainStageError(
        'bad-model',
        `train: the trainer wrote a ${check.manifest.family} model at ${out}; this training needs family ${family}`,
      );
    const metricsFile = join(out, 'metrics.json');
    let metrics: TrainMetrics | null = null;
    if (existsSync(metricsFile)) {
      try {
        metrics = summarise(JSON.parse(await readFile(metricsFile, 'utf8')) as Record<string, unknown>);
      } catch (e) {
        throw new TrainStageError(
          'bad-model',
          `train: the trainer's ${metricsFile} is not a JSON object (${(e as Error).message})`,
        );
      }
    }

    const { files, ...meta } = check.manifest;
    const roles = Object.fromEntries(files.filter((f) => f.role).map((f) => [f.path, f.role!]));
    const registered = await registerModel(
      registry,
      out,
      {
        ...meta,
        name: model,
        version: String(round),
        roles,
        source: `training stage: ${collection} round ${round}${meta.source ? ` (${meta.source})` : ''}`,
        trained_on: { collection, round },
        init: initLabel(init, registry),
      },
      { replace: true },
    );
    out = null;
    await say(`registered ${model} in ${registry}`);

    const marker: TrainMarker = {
      collection,
      round,
      model,
      registry,
      dir: registered.dir,
      fld_model_sha256: await sha256Of(join(registered.dir, MODEL_MANIFEST_FILE)),
      family: check.manifest.family,
      init,
      steps: o.steps ?? null,
      metrics,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      trainer_seconds: Math.round(ran.seconds * 10) / 10,
      check: check.sample,
    };
    await storage.put(markerKey, JSON.stringify(marker, null, 2) + '\n', { contentType: 'application/json' });
    return { ...marker, resumed: false };
  } finally {
    // the out folder (unless registered) and what a killed trainer left beside it (the reference
    // trainer stages into `<out>.tmp-<pid>`)
    if (out) {
      const base = basename(out);
      const names = await readdir(registry).catch(() => [] as string[]);
      await Promise.all(
        names.filter((n) => n.startsWith(base)).map((n) => rm(join(registry, n), { recursive: true, force: true })),
      );
    }
    if (work) await rm(work, { recursive: true, force: true });
    await ownStorage?.close();
  }
}

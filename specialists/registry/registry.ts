import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_WORLD_DOMAIN, type ModelManifest } from '../../schemas/model-manifest.ts';
import { REFINE_TASK_SLOTS } from '../../schemas/refine-config.ts';
import { readManifest } from './model-folder.ts';

export const DEFAULT_REGISTRY = '.fld/models';
/** The repository's own model folders (the demo world's specialists, `models/README.md`). */
export const SHIPPED_MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models');

/** `--registry`, else `FLD_MODELS`, else `.fld/models` under the working directory. */
export function registryDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.FLD_MODELS ?? DEFAULT_REGISTRY);
}

export interface ListedModel {
  dir: string;
  manifest: ModelManifest | null;
  /** Why the folder is not a usable model (unreadable or invalid manifest). */
  problem: string | null;
}

/** Every model folder in the registry, sorted by name; dot-folders (cache, temp) are skipped. */
export async function listModels(registry: string): Promise<ListedModel[]> {
  let entries;
  try {
    entries = await readdir(registry, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    dirs.map(async (name) => {
      const dir = join(registry, name);
      try {
        return { dir, manifest: await readManifest(dir), problem: null };
      } catch (e) {
        return { dir, manifest: null, problem: (e as Error).message };
      }
    }),
  );
}

/** Which collection and round trained a model, and from what (fld-model.json `trained_on`, `init`). */
export interface Lineage {
  collection: string;
  round: number;
  /** Registered name or folder path; null: from scratch; undefined: not recorded (a model registered before lineage was). */
  init: string | null | undefined;
}

const TRAINING_SOURCE = /^training stage: (\S+) round (\d+)\b/;

/** The model's lineage: its `trained_on`, else what an older training stage wrote in `source`; null for a model no training stage registered. */
export function lineageOf(m: ModelManifest): Lineage | null {
  if (m.trained_on) return { ...m.trained_on, init: m.init };
  const old = m.source ? TRAINING_SOURCE.exec(m.source) : null;
  return old ? { collection: old[1], round: Number(old[2]), init: undefined } : null;
}

const SLOT_WORK: Record<string, string> = {
  detector: 'boxes',
  region_caption: 'region texts',
  ocr: 'OCR',
  captioner: 'captions',
  grounding: 'phrase boxes',
};

/**
 * What a model is for, in a few words for `fld models list`: the config `specialists` slots it can
 * fill and what it writes there, who trained it (lineage), and `demo world only` for a model whose
 * fld-model.json says `"domain": "demo-world"` (its labels mean nothing on other images).
 */
export function modelPurpose(m: ModelManifest): string {
  let what: string;
  if (m.family === 'detector') {
    const c = m.classes ?? [];
    what = `detector: boxes of ${c.length} classes (${c.slice(0, 3).join(', ')}${c.length > 3 ? ', ...' : ''})`;
  } else if (m.family === 'ocr') {
    what = 'ocr: text lines with their quads';
  } else {
    const slots = [
      ...new Set((m.tasks ?? []).map((t) => REFINE_TASK_SLOTS[t]).filter((x): x is string => x !== undefined)),
    ];
    what = slots.length ? slots.map((x) => `${x} (${SLOT_WORK[x]})`).join(', ') : `tasks ${(m.tasks ?? []).join(' ')}`;
  }
  const l = lineageOf(m);
  const who = l ? `trained on ${l.collection} round ${l.round}: ` : '';
  return `${m.domain === DEMO_WORLD_DOMAIN ? 'demo world only: ' : m.domain ? `${m.domain} only: ` : ''}${who}${what}`;
}

/** A path below the working folder as a relative path (`models/demo-detector` in the repository), else as it is. */
export function shortPath(path: string, cwd: string = process.cwd()): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** The model folders the repository ships (`models/*`, each with fld-model.json), listed as the registry is. */
export async function shippedModels(dir: string = SHIPPED_MODELS_DIR): Promise<ListedModel[]> {
  return listModels(dir);
}

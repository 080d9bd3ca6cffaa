import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelManifest } from '../../schemas/model-manifest.ts';
import { readManifest } from './model-folder.ts';

export const DEFAULT_REGISTRY = '.fld/models';

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
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  return Promise.all(dirs.map(async (name) => {
    const dir = join(registry, name);
    try {
      return { dir, manifest: await readManifest(dir), problem: null };
    } catch (e) {
      return { dir, manifest: null, problem: (e as Error).message };
    }
  }));
}

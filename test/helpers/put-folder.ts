import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Storage } from '../../pipeline/storage/storage.ts';

/** Puts every file under a local folder into a storage, each at its path relative to the folder. */
export async function putFolder(storage: Storage, dir: string): Promise<void> {
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    await storage.put(relative(dir, path).split(sep).join('/'), readFileSync(path));
  }
}

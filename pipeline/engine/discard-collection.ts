import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layout } from '../layout.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * A command that fails before a new collection is listed leaves nothing behind: `fld run` over a
 * folder that does not exist, or a manifest that fails halfway through its listing, must not leave a
 * collection that `fld stats` then finds. `isNewCollection` is asked before any work;
 * `discardUnlisted` after a failure removes what the command wrote, only when the collection was new
 * and its listing never finished (`images/_collection.json`): a collection listed once is kept, so a
 * failed annotation can be resumed.
 */

export async function isNewCollection(storage: Storage, collection: string): Promise<boolean> {
  for await (const _ of storage.list(`${collection}/`)) return false;
  return true;
}

/** Removes every key under `<collection>/` (and, on a local folder, the folders left empty) when the listing never finished; true when it did. */
export async function discardUnlisted(storage: Storage, collection: string): Promise<boolean> {
  if (await storage.exists(layout.collectionPlan(collection))) return false;
  const keys: string[] = [];
  for await (const key of storage.list(`${collection}/`)) keys.push(key);
  for (const key of keys) await storage.delete(key);
  if (storage.url.startsWith('file://')) await removeEmptyFolders(join(fileURLToPath(storage.url), collection));
  return true;
}

/** Removes `dir` and the folders below it that hold no file, bottom up; a folder with a file stays. */
async function removeEmptyFolders(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return true;
  }
  let empty = true;
  for (const e of entries) {
    if (!e.isDirectory() || !(await removeEmptyFolders(join(dir, e.name)))) empty = false;
  }
  if (!empty) return false;
  await rmdir(dir).catch(() => {});
  return true;
}

import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Storage } from './storage.ts';

/**
 * Objects of any Storage as local files, for readers that take paths (DuckDB's read_parquet): on a
 * local storage the objects' own files, elsewhere copies streamed into a temp folder under the same
 * keys, so a path relative to `dir` is always the object's key. close() deletes the copies.
 */
export interface LocalFiles {
  /** The folder every path lies under: the storage root, or the temp folder of the copies. */
  readonly dir: string;
  /** Whether the paths are copies (the storage is not a local folder). */
  readonly copies: boolean;
  /** The local path of the object at `key`, copied on first use. */
  path(key: string): Promise<string>;
  close(): Promise<void>;
}

export async function localFiles(storage: Storage): Promise<LocalFiles> {
  if (storage.url.startsWith('file:')) {
    const dir = fileURLToPath(storage.url);
    return { dir, copies: false, path: async (key) => join(dir, ...key.split('/')), close: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'fld-local-files-'));
  const copied = new Map<string, Promise<string>>();
  const copy = async (key: string): Promise<string> => {
    const file = join(dir, ...key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await pipeline(await storage.getStream(key), createWriteStream(file));
    return file;
  };
  return {
    dir,
    copies: true,
    path: (key) => copied.get(key) ?? (copied.set(key, copy(key)), copied.get(key)!),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

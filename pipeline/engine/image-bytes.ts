import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { openStorage, type OpenedStorage } from '../storage/open.ts';
import { NotFoundError, StorageError } from '../storage/storage.ts';

/**
 * Bytes of an image record's uri: an absolute local path or `s3://bucket/key`. A missing or
 * unreadable image is that image's problem (an error row); a storage that is down is the job's
 * (it throws, and the job is retried).
 */
export class ImageFetcher {
  readonly #buckets = new Map<string, OpenedStorage>();

  async fetch(uri: string): Promise<{ bytes: Uint8Array } | { error: string }> {
    try {
      if (isAbsolute(uri)) return { bytes: await readFile(uri) };
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
      if (!m) return { error: `cannot read ${uri}: only local paths and s3:// URIs are fetched by workers` };
      let s = this.#buckets.get(m[1]);
      if (!s) this.#buckets.set(m[1], (s = openStorage(`s3://${m[1]}`)));
      return { bytes: await s.get(m[2]) };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (e instanceof NotFoundError || err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') return { error: `cannot read ${uri}: ${err.code ?? err.message}` };
      if (e instanceof StorageError && !e.retryable) return { error: `cannot read ${uri}: ${e.message}` };
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#buckets.values()].map((s) => s.close()));
    this.#buckets.clear();
  }
}

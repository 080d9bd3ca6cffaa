import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStorage, type OpenedStorage } from './open-storage.ts';
import { NotFoundError, StorageError } from './storage.ts';

/**
 * The bytes of any image uri a source accepts (pipeline/sources: an absolute path, `file://`,
 * `s3://bucket/key`, `http(s)://`): one reader for the workers and the export. A missing, unreadable
 * or unfetchable image is that image's problem (`{ error }`, an error row); an S3 storage that is
 * down is the caller's (it throws, and the job is retried). Web images are fetched the way
 * img2dataset does: a timeout, a few retries on network errors and 5xx, a size cap.
 */
export interface ImageSourceOptions {
  /** Per request, ms (default 30 s). */
  timeoutMs?: number;
  /** Tries after the first, on a network error, a timeout or a 5xx (default 2). */
  retries?: number;
  /** Largest body accepted, bytes (default 64 MiB). */
  maxBytes?: number;
}

export type ImageBytes = { bytes: Uint8Array } | { error: string };

export class ImageSource {
  readonly #buckets = new Map<string, OpenedStorage>();
  readonly #o: Required<ImageSourceOptions>;

  constructor(o: ImageSourceOptions = {}) {
    this.#o = { timeoutMs: o.timeoutMs ?? 30_000, retries: o.retries ?? 2, maxBytes: o.maxBytes ?? 64 * 2 ** 20 };
  }

  async read(uri: string): Promise<ImageBytes> {
    try {
      if (/^https?:\/\//i.test(uri)) return await this.#http(uri);
      const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(uri);
      if (s3) {
        let s = this.#buckets.get(s3[1]);
        if (!s) this.#buckets.set(s3[1], (s = openStorage(`s3://${s3[1]}`)));
        return { bytes: await s.get(s3[2]) };
      }
      const path = /^file:\/\//i.test(uri) ? fileURLToPath(uri) : uri;
      if (!isAbsolute(path))
        return { error: `cannot read ${uri}: not an absolute path, file://, s3:// or http(s):// uri` };
      return { bytes: await readFile(path) };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (
        e instanceof NotFoundError ||
        err.code === 'ENOENT' ||
        err.code === 'EISDIR' ||
        err.code === 'EACCES' ||
        err.code === 'ERR_INVALID_FILE_URL_PATH'
      )
        return { error: `cannot read ${uri}: ${err.code ?? err.message}` };
      if (e instanceof StorageError && !e.retryable) return { error: `cannot read ${uri}: ${e.message}` };
      throw e;
    }
  }

  async #http(uri: string): Promise<ImageBytes> {
    let last = '';
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await fetch(uri, { signal: AbortSignal.timeout(this.#o.timeoutMs), redirect: 'follow' });
      } catch (e) {
        const name = (e as Error).name;
        last =
          name === 'TimeoutError'
            ? `no answer in ${this.#o.timeoutMs} ms`
            : `${(e as Error).message}${(e as { cause?: { code?: string } }).cause?.code ? ` (${(e as { cause: { code: string } }).cause.code})` : ''}`;
        continue;
      }
      if (res.status >= 500) {
        last = `HTTP ${res.status}`;
        await res.body?.cancel();
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { error: `cannot fetch ${uri}: HTTP ${res.status}` };
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > this.#o.maxBytes) {
        await res.body?.cancel();
        return { error: `cannot fetch ${uri}: ${declared} bytes, over the ${this.#o.maxBytes}-byte cap` };
      }
      try {
        return await this.#body(uri, res);
      } catch (e) {
        last = (e as Error).name === 'TimeoutError' ? `no answer in ${this.#o.timeoutMs} ms` : (e as Error).message;
      }
    }
    return { error: `cannot fetch ${uri}: ${last} (after ${this.#o.retries + 1} tries)` };
  }

  /** The body, stopped at the cap (a server may send more than it declared, or declare nothing). */
  async #body(uri: string, res: Response): Promise<ImageBytes> {
    const chunks: Uint8Array[] = [];
    let n = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += c.byteLength;
      if (n > this.#o.maxBytes) {
        await res.body?.cancel().catch(() => {});
        return { error: `cannot fetch ${uri}: over the ${this.#o.maxBytes}-byte cap` };
      }
      chunks.push(c);
    }
    return { bytes: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#buckets.values()].map((s) => s.close()));
    this.#buckets.clear();
  }
}

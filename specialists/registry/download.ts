import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256File } from './model-folder.ts';

export interface DownloadOptions {
  expectedSize?: number | null;
  /** When set, a file with another hash is deleted and the download fails naming both hashes. */
  expectedSha256?: string | null;
  /** Tries in all, each resuming where the last stopped (default 5). */
  attempts?: number;
  onProgress?: (bytes: number, total: number | null) => void;
}

export class ChecksumError extends Error {
  override name = 'ChecksumError';
}

/**
 * Downloads `url` to `dest` through `dest.part`: a dropped connection is resumed with an HTTP Range
 * request from the bytes already on disk (a server that ignores Range restarts the file). The part
 * file is renamed to `dest` only when complete and, if a hash is pinned, matching. Returns the sha256.
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<{ sha256: string; size: number }> {
  const part = `${dest}.part`;
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const have = await sizeOf(part);
    try {
      const done = await fetchInto(url, part, have, opts);
      if (done) break;
    } catch (e) {
      if (e instanceof ChecksumError || (e as { fatal?: boolean }).fatal) throw e;
      if (attempt === attempts)
        throw new Error(`${url}: download failed after ${attempts} tries: ${(e as Error).message}`);
    }
  }
  const size = await sizeOf(part);
  if (opts.expectedSize != null && size !== opts.expectedSize) {
    await unlink(part).catch(() => {});
    throw new ChecksumError(`${url}: got ${size} bytes, expected ${opts.expectedSize}; file rejected`);
  }
  const sha256 = await sha256File(part);
  if (opts.expectedSha256 && sha256 !== opts.expectedSha256) {
    await unlink(part).catch(() => {});
    throw new ChecksumError(`${url}: sha256 ${sha256} does not match the pinned ${opts.expectedSha256}; file rejected`);
  }
  await rename(part, dest);
  return { sha256, size };
}

/** One HTTP request; true when the file is complete. Throws on a dropped connection (the caller resumes). */
async function fetchInto(url: string, part: string, have: number, opts: DownloadOptions): Promise<boolean> {
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const res = await fetch(url, { headers, redirect: 'follow' });
  if (res.status === 416 && have > 0) {
    // Range past the end: what we have is the whole file (checked by size and hash after).
    await res.body?.cancel();
    return true;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    const err = new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
    if (res.status >= 400 && res.status < 500) (err as Error & { fatal: boolean }).fatal = true;
    throw err;
  }
  const append = res.status === 206;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? (append ? have : 0) + length : (opts.expectedSize ?? null);
  if (!res.body) throw new Error(`${url}: empty response body`);
  let bytes = append ? have : 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  body.on('data', (c: Buffer) => {
    bytes += c.length;
    opts.onProgress?.(bytes, total);
  });
  await pipeline(body, createWriteStream(part, { flags: append ? 'a' : 'w' }));
  if (total !== null && bytes < total) throw new Error(`${url}: connection closed at ${bytes} of ${total} bytes`);
  return true;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

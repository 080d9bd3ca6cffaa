import type { Readable } from 'node:stream';

/**
 * One interface over a local folder and an S3 prefix (docs/architecture.md, "A round and its files"). Keys are relative,
 * '/'-separated (e.g. `demo/round-0/text/shard-00003.parquet`). Every write is atomic: a reader
 * sees the whole old object, the whole new one, or nothing (temp + rename locally; one PUT or a
 * completed multipart upload on S3).
 */
export interface Storage {
  /** Where this storage points, for messages: `file:///abs/path` or `s3://bucket/prefix` (never credentials). */
  readonly url: string;
  /** Write the whole object atomically. A stream body is uploaded without being held in memory. */
  put(key: string, body: Uint8Array | string | Readable, opts?: { contentType?: string }): Promise<void>;
  /** Read a whole object. Throws NotFoundError when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Read bytes [start, end) of an object (for Parquet footers and column chunks). */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Stream an object. */
  getStream(key: string): Promise<Readable>;
  /** Size in bytes, or null when the object does not exist. */
  head(key: string): Promise<{ size: number } | null>;
  exists(key: string): Promise<boolean>;
  /** Every key under a prefix, paginated underneath, in lexicographic order. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * The folders right under a prefix, each once as its prefix ending in '/' (`demo/round-0/`), in
   * lexicographic order, paginated underneath: one entry per folder however many keys it holds. A
   * folder counts when it holds an object somewhere below, as on S3, so an empty local folder is not one.
   */
  listFolders(prefix: string): AsyncIterable<string>;
  delete(key: string): Promise<void>;
  /**
   * Write the whole object only if no object is at the key, atomically: of two callers at once
   * exactly one gets true, and the other false with nothing written. Optional, so that a storage
   * without such a primitive fails loudly where one is needed instead of pretending.
   */
  putIfAbsent?(key: string, body: Uint8Array | string, opts?: { contentType?: string }): Promise<boolean>;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly url: string,
    readonly key: string,
  ) {
    super(`storage ${url}: no object at "${key}"`);
  }
}

/**
 * Any other storage failure, after retries. The message names the storage, the operation and the
 * key (never credentials); `retryable` says whether trying the whole job again later may help
 * (connection errors, timeouts, 5xx) or not (bad key, access denied, bad request).
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly url: string,
    readonly op: string,
    readonly key: string,
    detail: string,
    readonly retryable: boolean,
  ) {
    super(`storage ${url}: ${op}${key ? ` "${key}"` : ''} failed: ${detail}`);
  }
}

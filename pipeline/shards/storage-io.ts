import { createHash } from 'node:crypto';
import { cachedAsyncBuffer } from 'hyparquet';
import type { AsyncBuffer } from 'hyparquet';
import { RECORD_SCHEMAS, type RecordKind, type RecordOf } from '../../schemas/records.ts';
import { validate } from '../../schemas/validate.ts';
import { NotFoundError, type Storage } from '../storage/storage.ts';
import { openShard, readShardRows, type OpenShard } from './decode.ts';
import { encodeShard } from './encode.ts';
import { isImageRow } from './image-row-check.ts';

/** Plain-code row checks that accept only what the kind's schema accepts; a row they refuse goes through zod. */
const QUICK_ROW_CHECKS: Partial<Record<RecordKind, (row: unknown) => boolean>> = { image: isImageRow };

/** What a written shard is, for the round manifest. */
export interface WrittenShard<K extends RecordKind = RecordKind> {
  key: string;
  kind: K;
  rows: number;
  bytes: number;
  sha256: string;
}

export const objectName = (storage: Storage, key: string): string => `${storage.url.replace(/\/+$/, '')}/${key}`;

/**
 * Validate every row (a bad row throws ValidationError naming the shard key, the row index and the
 * field; nothing is written), encode, and write with one atomic put.
 */
export async function writeShard<K extends RecordKind>(
  storage: Storage,
  key: string,
  kind: K,
  rows: readonly RecordOf<K>[],
  extraMeta: Record<string, string> = {},
): Promise<WrittenShard<K>> {
  const bytes = await putShard(storage, key, kind, rows, extraMeta);
  return {
    key,
    kind,
    rows: rows.length,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * writeShard without the digest of what it wrote (for a caller that does not record it); returns the
 * bytes written.
 */
export async function putShard<K extends RecordKind>(
  storage: Storage,
  key: string,
  kind: K,
  rows: readonly RecordOf<K>[],
  extraMeta: Record<string, string> = {},
): Promise<Uint8Array> {
  const bytes = checkedShardBytes(key, kind, rows, extraMeta);
  await storage.put(key, bytes, { contentType: PARQUET_TYPE });
  return bytes;
}

export const PARQUET_TYPE = 'application/vnd.apache.parquet';

/**
 * The checks and encoding of writeShard, at once: a caller that keeps puts in flight (enqueue's
 * image shards) lets go of the rows before the put, not after it.
 */
export function checkedShardBytes<K extends RecordKind>(
  key: string,
  kind: K,
  rows: readonly RecordOf<K>[],
  extraMeta: Record<string, string> = {},
): Uint8Array {
  const schema = RECORD_SCHEMAS[kind];
  if (!schema) throw new Error(`writeShard ${key}: unknown record kind ${JSON.stringify(kind)}`);
  const quick = QUICK_ROW_CHECKS[kind];
  for (let i = 0; i < rows.length; i++)
    if (!quick?.(rows[i])) validate(schema, rows[i], `${kind} shard ${key}: row ${i}`);
  return encodeShard(kind, rows, extraMeta);
}

/**
 * A Parquet AsyncBuffer over `Storage.getRange`: the footer and each column chunk are fetched as
 * ranges (small objects are fetched whole once), so inspecting a shard on S3 does not download it.
 */
export async function storageBuffer(storage: Storage, key: string): Promise<AsyncBuffer> {
  const head = await storage.head(key);
  if (!head) throw new NotFoundError(storage.url, key);
  const size = head.size;
  return cachedAsyncBuffer({
    byteLength: size,
    async slice(start: number, end = size) {
      const b = await storage.getRange(key, start, end);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  });
}

export async function openStoredShard(storage: Storage, key: string): Promise<OpenShard> {
  return openShard(await storageBuffer(storage, key), objectName(storage, key));
}

/** Every row of a stored shard, checked as openShard checks it; `expectKind` refuses a shard of another kind. */
export async function readShard<K extends RecordKind>(
  storage: Storage,
  key: string,
  expectKind?: K,
): Promise<{ shard: OpenShard; rows: RecordOf<K>[] }> {
  const shard = await openStoredShard(storage, key);
  if (expectKind && shard.kind !== expectKind) {
    throw new Error(`shard ${shard.file}: holds ${shard.kind} rows, expected ${expectKind}`);
  }
  return { shard, rows: await readShardRows<K>(shard) };
}

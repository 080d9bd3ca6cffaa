import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { COLUMNS } from '../../schemas/columns.ts';
import { RECORD_SCHEMAS, type RecordKind, type RecordOf } from '../../schemas/records.ts';
import { checkSchemaVersion } from '../../schemas/version.ts';
import { describeColumns, parquetSchema } from './parquet-schema.ts';

/** A file that is not a readable fld shard: not Parquet, truncated, corrupt, or without our metadata. */
export class ShardFormatError extends Error {
  override name = 'ShardFormatError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`shard ${file}: ${reason}`);
  }
}

export interface OpenShard {
  readonly file: string;
  readonly kind: RecordKind;
  readonly schemaVersion: number;
  /** Every key-value metadata entry, schema_version and kind included. */
  readonly meta: Record<string, string>;
  readonly rowCount: number;
  readonly columns: { name: string; type: string }[];
  readonly metadata: FileMetaData;
  readonly buffer: AsyncBuffer;
}

const expectedColumns = Object.fromEntries(
  Object.entries(COLUMNS).map(([kind, cols]) => [kind, describeColumns(parquetSchema(cols))]),
) as Record<RecordKind, { name: string; type: string }[]>;

/**
 * Read a shard's footer and check it: Parquet (else ShardFormatError), a known `schema_version`
 * (else SchemaVersionError naming both versions), a known `kind` whose columns the file has.
 * `file` names the shard in every message. Only the footer is fetched.
 */
export async function openShard(source: AsyncBuffer, file: string): Promise<OpenShard> {
  const buffer = trackIoErrors(source);
  let metadata: FileMetaData;
  try {
    // A shard's footer is a few KB; hyparquet's default first fetch (512 KB) would pull much of a
    // small shard from S3 just to inspect it. A longer footer costs one more range read.
    metadata = await parquetMetadataAsync(buffer, { initialFetchSize: 64 * 1024 });
  } catch (e) {
    if (ioErrors.has(e as object)) throw e;
    throw new ShardFormatError(
      file,
      `${(await startsWithMagic(buffer)) ? 'truncated or corrupt Parquet file' : 'not a Parquet file'} (${(e as Error).message}; ${buffer.byteLength} bytes)`,
    );
  }
  const meta: Record<string, string> = {};
  for (const kv of metadata.key_value_metadata ?? []) meta[kv.key] = kv.value ?? '';
  if (!('schema_version' in meta))
    throw new ShardFormatError(file, 'no schema_version in its key-value metadata: not an fld shard');
  checkSchemaVersion(`shard ${file}`, meta.schema_version);
  const kind = meta.kind as RecordKind;
  if (!Object.hasOwn(RECORD_SCHEMAS, kind)) {
    throw new ShardFormatError(
      file,
      `unknown kind ${JSON.stringify(meta.kind)} (known: ${Object.keys(RECORD_SCHEMAS).join(', ')})`,
    );
  }
  let columns: { name: string; type: string }[];
  try {
    columns = describeColumns(metadata.schema);
  } catch (e) {
    throw new ShardFormatError(file, `unreadable schema (${(e as Error).message})`);
  }
  const want = expectedColumns[kind];
  const got = columns.map((c) => `${c.name}: ${c.type}`).join(', ');
  if (got !== want.map((c) => `${c.name}: ${c.type}`).join(', ')) {
    throw new ShardFormatError(file, `columns do not match kind ${kind}: found [${got}]`);
  }
  return {
    file,
    kind,
    schemaVersion: Number(meta.schema_version),
    meta,
    rowCount: Number(metadata.num_rows),
    columns,
    metadata,
    buffer,
  };
}

/** Rows [rowStart, rowEnd) of an opened shard, as records of its kind. */
export async function readShardRows<K extends RecordKind = RecordKind>(
  shard: OpenShard,
  range: { rowStart?: number; rowEnd?: number } = {},
): Promise<RecordOf<K>[]> {
  try {
    const rows = await parquetReadObjects({ file: shard.buffer, metadata: shard.metadata, ...range });
    // hyparquet reads a null list as undefined; records hold null.
    const nullable = COLUMNS[shard.kind].filter((c) => c.nullable).map((c) => c.name);
    for (const r of rows) for (const n of nullable) if (r[n] === undefined) r[n] = null;
    return rows as RecordOf<K>[];
  } catch (e) {
    if (ioErrors.has(e as object)) throw e;
    throw new ShardFormatError(shard.file, `corrupt data (${(e as Error).message})`);
  }
}

// Errors thrown by the byte source (a storage outage, a missing object) pass through as they are;
// only what the Parquet parser throws becomes a ShardFormatError.
const ioErrors = new WeakSet<object>();
function trackIoErrors(buffer: AsyncBuffer): AsyncBuffer {
  return {
    byteLength: buffer.byteLength,
    async slice(start, end) {
      try {
        return await buffer.slice(start, end);
      } catch (e) {
        if (e !== null && typeof e === 'object') ioErrors.add(e);
        throw e;
      }
    },
  };
}

/** A Parquet file starts with PAR1 too: a file that does but has no footer was cut short. */
async function startsWithMagic(buffer: AsyncBuffer): Promise<boolean> {
  if (buffer.byteLength < 4) return false;
  try {
    return new TextDecoder().decode(await buffer.slice(0, 4)) === 'PAR1';
  } catch {
    return false;
  }
}

/** Bytes as hyparquet's AsyncBuffer; each slice copies only the range asked for. */
export function bytesBuffer(bytes: Uint8Array): AsyncBuffer {
  const n = bytes.byteLength;
  const clamp = (x: number) => Math.max(0, Math.min(n, x < 0 ? n + x : x));
  return {
    byteLength: n,
    // Copy through Uint8Array.prototype.slice: Buffer#slice would return a view of Node's pool.
    slice: (start, end = n) => Uint8Array.prototype.slice.call(bytes, clamp(start), clamp(end)).buffer as ArrayBuffer,
  };
}

/** Whole shard from bytes: its kind, metadata and every row. */
export async function decodeShard(
  bytes: Uint8Array,
  file = '(in-memory shard)',
): Promise<OpenShard & { rows: RecordOf<RecordKind>[] }> {
  const shard = await openShard(bytesBuffer(bytes), file);
  return { ...shard, rows: await readShardRows(shard) };
}

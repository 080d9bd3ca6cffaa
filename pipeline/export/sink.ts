import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { encodeColumns } from '../shards/encode.ts';
import { PARQUET_TYPE } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';
import type { ExportRow } from './training-rows.ts';

/**
 * Writers of the training export onto any Storage, rows in, files out, each file one atomic put.
 * Parquet: `<prefix><split>-NNNNN.parquet` with `image` as the Hugging Face `datasets` struct
 * {bytes, path} (bytes null with `--no-embed`, path then the image's URI), `task`, `prefix`, `suffix`,
 * `split`. JSONL: `<prefix><split>/annotations.jsonl` (`image`, `prefix`, `suffix`, `task`: the layout
 * maestro and the Python reference trainer read) beside the image files (or `image` = URI with
 * `--no-embed`). Memory is bounded by one Parquet shard's rows; JSONL lines go to a temp file.
 */
export interface WrittenFile {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** A row with its image's bytes (null when not embedded). */
export interface SinkRow {
  row: ExportRow;
  bytes: Uint8Array | null;
}

export interface ExportSink {
  add(rows: SinkRow[]): Promise<void>;
  /** The written files (image files of a JSONL export only counted: one per image would swell the manifest). */
  finish(): Promise<{ files: WrittenFile[]; imageFiles: number }>;
  /** After a failure: drop what is buffered (temp files included); written files stay until a rerun. */
  abort(): Promise<void>;
}

// The `datasets` library reads these features from the file and decodes `image` as an Image.
const HF_FEATURES = JSON.stringify({
  info: {
    features: {
      image: { _type: 'Image' },
      task: { dtype: 'string', _type: 'Value' },
      prefix: { dtype: 'string', _type: 'Value' },
      suffix: { dtype: 'string', _type: 'Value' },
      split: { dtype: 'string', _type: 'Value' },
    },
  },
});

const utf8 = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: 'REQUIRED',
});
export const EXPORT_PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 5 },
  { name: 'image', repetition_type: 'REQUIRED', num_children: 2 },
  { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  utf8('path'),
  utf8('task'),
  utf8('prefix'),
  utf8('suffix'),
  utf8('split'),
];

const IMAGE_PUTS_IN_FLIGHT = 8;

export const shardFile = (split: string, n: number) => `${split}-${String(n).padStart(5, '0')}.parquet`;

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export function parquetSink(
  storage: Storage,
  prefix: string,
  rowsPerShard: number,
  meta: Record<string, string>,
): ExportSink {
  const buffers = new Map<string, SinkRow[]>();
  const next = new Map<string, number>();
  const files: WrittenFile[] = [];
  const flush = async (split: string) => {
    const rows = buffers.get(split) ?? [];
    if (!rows.length) return;
    buffers.set(split, []);
    const n = next.get(split) ?? 0;
    next.set(split, n + 1);
    const bytes = encodeColumns(
      EXPORT_PARQUET_SCHEMA,
      rows.map(({ row, bytes }) => ({
        image: { bytes, path: bytes ? row.image.name : row.image.file },
        task: row.task,
        prefix: row.prefix,
        suffix: row.suffix,
        split: row.split,
      })),
      { schema_version: String(SCHEMA_VERSION), kind: 'export', huggingface: HF_FEATURES, ...meta },
    );
    const key = prefix + shardFile(split, n);
    await storage.put(key, bytes, { contentType: PARQUET_TYPE });
    files.push({ key, rows: rows.length, bytes: bytes.byteLength, sha256: sha(bytes) });
  };
  return {
    async add(rows) {
      for (const r of rows) {
        const list = buffers.get(r.row.split) ?? [];
        buffers.set(r.row.split, list);
        list.push(r);
        if (list.length >= rowsPerShard) await flush(r.row.split);
      }
    },
    async finish() {
      for (const split of [...buffers.keys()].sort()) await flush(split);
      return { files, imageFiles: 0 };
    },
    async abort() {
      buffers.clear();
    },
  };
}

export async function jsonlSink(storage: Storage, prefix: string): Promise<ExportSink> {
  const tmp = await mkdtemp(join(tmpdir(), 'fld-export-'));
  const lines = new Map<string, { file: string; rows: number; hash: ReturnType<typeof createHash> }>();
  const written = new Set<string>();
  // Image files are independent puts: a few in flight hide each one's fsync (local) or round trip (S3).
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  const putImage = async (key: string, bytes: Uint8Array) => {
    if (failure) throw failure;
    const p: Promise<void> = storage
      .put(key, bytes)
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= IMAGE_PUTS_IN_FLIGHT) await Promise.race(inflight);
  };
  return {
    async add(rows) {
      let text = '';
      let count = 0;
      let split = '';
      const flush = async () => {
        if (!count) return;
        let l = lines.get(split);
        if (!l) lines.set(split, (l = { file: join(tmp, `${split}.jsonl`), rows: 0, hash: createHash('sha256') }));
        await appendFile(l.file, text);
        l.hash.update(text);
        l.rows += count;
        text = '';
        count = 0;
      };
      for (const { row, bytes } of rows) {
        if (row.split !== split) await flush();
        split = row.split;
        let image = row.image.file;
        if (bytes) {
          image = row.image.name;
          const key = `${prefix}${row.split}/${image}`;
          if (!written.has(key)) {
            written.add(key);
            await putImage(key, bytes);
          }
        }
        text += JSON.stringify({ image, prefix: row.prefix, suffix: row.suffix, task: row.task }) + '\n';
        count++;
      }
      await flush();
    },
    async finish() {
      const files: WrittenFile[] = [];
      try {
        await Promise.all(inflight);
        if (failure) throw failure;
        for (const split of [...lines.keys()].sort()) {
          const l = lines.get(split)!;
          const key = `${prefix}${split}/annotations.jsonl`;
          await storage.put(key, createReadStream(l.file), { contentType: 'application/x-ndjson' });
          files.push({ key, rows: l.rows, bytes: (await stat(l.file)).size, sha256: l.hash.digest('hex') });
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return { files, imageFiles: written.size };
    },
    async abort() {
      await Promise.all(inflight);
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

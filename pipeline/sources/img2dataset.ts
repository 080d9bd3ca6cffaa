import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileSource } from './file-source.ts';
import { parquetColumns, parquetRows } from './parquet-rows.ts';
import { PathResolver, type PathOptions } from './paths.ts';
import { problem, SourceError, type SourceEntry, type SourceItem } from './types.ts';

/**
 * img2dataset output in its `files` format: per shard `NNNNN.parquet` (url, key, status,
 * error_message, caption, width, height, ...) beside a folder `NNNNN/` of `<key>.<ext>` files.
 * The local file is the image's URI (the worker never re-downloads) and the caption becomes
 * alt-text. Rows whose `status` is not `success` are problems with img2dataset's own
 * error_message, so failed downloads are counted, not lost. The webdataset / parquet output
 * formats (images inside tars or Parquet cells) are not read here.
 */

const SHARD = /^(\d+)\.parquet$/;
const EXTS = ['jpg', 'png', 'webp', 'jpeg'];

export class Img2datasetSource extends FileSource<PathOptions> {
  readonly type = 'img2dataset' as const;
  /** The one shard file asked for, when the argument was `NNNNN.parquet` rather than the folder. */
  private readonly only: string | undefined;
  constructor(path: string, opts: PathOptions = {}) {
    super('img2dataset output', path, opts, (p) => (SHARD.test(basename(p)) ? dirname(p) : p));
    this.only = SHARD.test(basename(this.file)) ? basename(this.file) : undefined;
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    const shards = this.only ? [this.only] : listShards(this.root);
    if (shards.length === 0)
      throw new SourceError(
        this.description,
        'no NNNNN.parquet shard files (is this img2dataset output in the "files" format?)',
      );
    const paths = new PathResolver(this.root, { ...this.opts, checkFiles: false });
    for (const file of shards) {
      const shardDir = file.replace(/\.parquet$/, '');
      const full = join(this.root, file);
      const cols = new Set((await parquetColumns(full, this.description)).map((c) => c.name));
      for (const need of ['key', 'status']) {
        if (!cols.has(need)) throw new SourceError(this.description, `${file} has no "${need}" column`);
      }
      for await (const { row, values: v } of parquetRows(full, this.description, [
        'key',
        'url',
        'status',
        'error_message',
        'caption',
        'width',
        'height',
      ])) {
        const key = v.key == null ? '' : String(v.key);
        const where = `${file} row ${row}${key ? ` (key ${key})` : ''}`;
        const at = { line: row, ...(typeof v.url === 'string' ? { uri: v.url } : {}) };
        if (v.status !== 'success') {
          const why = typeof v.error_message === 'string' && v.error_message ? v.error_message : 'no error_message';
          yield problem(this, 'download_failed', where, `status ${JSON.stringify(v.status)}: ${why}`, at);
          continue;
        }
        if (!/^\d+$/.test(key)) {
          yield problem(this, 'malformed', where, `key must be digits, got ${JSON.stringify(v.key)}`, at);
          continue;
        }
        const local = EXTS.map((e) => join(this.root, shardDir, `${key}.${e}`)).find((f) => existsSync(f));
        if (!local) {
          yield problem(this, 'missing_file', where, `no ${shardDir}/${key}.{${EXTS.join(',')}} beside the shard`, at);
          continue;
        }
        const r = paths.resolve(local);
        if (!r.ok) {
          yield problem(this, r.reason, where, r.detail, at);
          continue;
        }
        const item: SourceItem = { kind: 'item', uri: r.uri, where, line: row };
        if (typeof v.caption === 'string' && v.caption !== '') item.alt_text = v.caption;
        const w = Number(v.width);
        const h = Number(v.height);
        if (Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0) {
          item.width = w;
          item.height = h;
        }
        yield item;
      }
    }
  }
}

function listShards(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => SHARD.test(f))
    .sort();
}

/** True when a folder looks like img2dataset output: a shard Parquet with its files folder beside it. */
export function isImg2datasetDir(dir: string): boolean {
  try {
    return listShards(dir).some((f) => {
      const sub = join(dir, f.replace(/\.parquet$/, ''));
      return existsSync(sub) && statSync(sub).isDirectory();
    });
  } catch {
    return false;
  }
}

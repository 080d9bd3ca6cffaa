import { dirname } from 'node:path';
import { FileSource, type ManifestOptions } from './file-source.ts';
import { manifestRow } from './manifest-row.ts';
import { parquetColumns, parquetRows } from './parquet-rows.ts';
import { PathResolver } from './paths.ts';
import { SourceError, type SourceEntry } from './types.ts';

const FIELDS = ['uri', 'alt_text', 'caption', 'boxes', 'texts', 'width', 'height'];

/**
 * A Parquet manifest (fields as in manifest-row.ts; `boxes` / `texts` may be JSON text or lists of
 * structs). Read with DuckDB; a file without a `uri` column fails the whole source naming it.
 */
export class ParquetManifestSource extends FileSource<ManifestOptions> {
  readonly type = 'parquet' as const;
  constructor(file: string, opts: ManifestOptions = {}) {
    super('parquet manifest', file, opts, (f) => opts.root ?? dirname(f));
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    const cols = await parquetColumns(this.file, this.description);
    if (!cols.some((c) => c.name === 'uri')) {
      throw new SourceError(
        this.description,
        `no "uri" column (columns: ${cols.map((c) => JSON.stringify(c.name)).join(', ')})`,
      );
    }
    const paths = new PathResolver(this.root, this.opts);
    for await (const { row, values } of parquetRows(this.file, this.description, FIELDS)) {
      yield manifestRow(values, { source: this.description, where: `row ${row}`, line: row, paths });
    }
  }
}

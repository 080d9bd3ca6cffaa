import { createReadStream } from 'node:fs';
import { dirname, extname } from 'node:path';
import { parse, type CsvError } from 'csv-parse';
import { FileSource, type ManifestOptions } from './file-source.ts';
import { manifestRow } from './manifest-row.ts';
import { PathResolver } from './paths.ts';
import { problem, SourceError, type SourceEntry, type SourceProblem } from './types.ts';

export interface CsvOptions extends ManifestOptions {
  /** Field delimiter; default ',' (tab for a .tsv file). */
  delimiter?: string;
}

/**
 * A CSV manifest with a header row naming its columns (`uri` required; fields in manifest-row.ts;
 * `boxes` and `texts` hold JSON). Parsed by csv-parse (quoted fields, embedded commas, quotes and
 * newlines, BOM). A record with the wrong number of fields is a problem naming its line and the
 * records after it go on; a header without `uri` fails the whole source naming the column.
 */
export class CsvManifestSource extends FileSource<CsvOptions> {
  readonly type = 'csv' as const;
  constructor(file: string, opts: CsvOptions = {}) {
    super('csv manifest', file, opts, (f) => opts.root ?? dirname(f));
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    const paths = new PathResolver(this.root, this.opts);
    const skipped: SourceProblem[] = [];
    const delimiter = this.opts.delimiter ?? (extname(this.file).toLowerCase() === '.tsv' ? '\t' : ',');
    const parser = parse({
      delimiter,
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        if (!err) return;
        const line = (err as CsvError & { lines?: number }).lines;
        skipped.push(
          problem(this, 'malformed', `line ${line ?? '?'}`, err.message, line === undefined ? {} : { line }),
        );
      },
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        if (!names.includes('uri')) {
          throw new SourceError(
            this.description,
            `the header has no "uri" column (columns: ${names.map((c) => JSON.stringify(c)).join(', ')})`,
          );
        }
        return names;
      },
    });
    const stream = createReadStream(this.file, { highWaterMark: 1 << 20 });
    stream.on('error', (e) =>
      parser.destroy(new SourceError(this.description, `cannot read: ${e.message}`, { cause: e })),
    );
    stream.pipe(parser);
    try {
      for await (const { record, info } of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>) {
        const line = info.lines;
        // on_skip runs while a chunk is parsed, ahead of the records before it: keep line order.
        while (skipped.length && (skipped[0]!.line ?? 0) < line) yield skipped.shift()!;
        yield manifestRow(record, { source: this.description, where: `line ${line}`, line, paths });
      }
      while (skipped.length) yield skipped.shift()!;
    } catch (e) {
      if (e instanceof SourceError) throw e;
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof SourceError) throw cause;
      throw new SourceError(this.description, (e as Error).message, { cause: e });
    } finally {
      stream.destroy();
    }
  }
}

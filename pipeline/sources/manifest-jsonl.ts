import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { FileSource, type ManifestOptions } from './file-source.ts';
import { manifestRow, preview } from './manifest-row.ts';
import { PathResolver } from './paths.ts';
import { problem, SourceError, type SourceEntry } from './types.ts';

/**
 * A JSONL manifest: one JSON object per line (fields in manifest-row.ts). A line that does not
 * parse is a problem naming its line number; the lines after it go on. Blank lines are not entries.
 */
export class JsonlManifestSource extends FileSource<ManifestOptions> {
  readonly type = 'jsonl' as const;
  constructor(file: string, opts: ManifestOptions = {}) {
    super('jsonl manifest', file, opts, (f) => opts.root ?? dirname(f));
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    const paths = new PathResolver(this.root, this.opts);
    const stream = createReadStream(this.file, { encoding: 'utf8', highWaterMark: 1 << 20 });
    const opened = new Promise<void>((ok, fail) => {
      stream.once('open', () => ok());
      stream.once('error', (e) => fail(new SourceError(this.description, `cannot read: ${e.message}`, { cause: e })));
    });
    await opened;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (let text of lines) {
        n++;
        if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM from Windows editors
        if (text.trim() === '') continue;
        const where = `line ${n}`;
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch (e) {
          yield problem(this, 'malformed', where, `not valid JSON (${(e as Error).message}): ${preview(text)}`, {
            line: n,
          });
          continue;
        }
        if (row === null || typeof row !== 'object' || Array.isArray(row)) {
          yield problem(this, 'malformed', where, `expected a JSON object, got ${preview(row)}`, { line: n });
          continue;
        }
        yield manifestRow(row as Record<string, unknown>, { source: this.description, where, line: n, paths });
      }
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(this.description, `read failed after line ${n}: ${(e as Error).message}`, { cause: e });
    } finally {
      lines.close();
      stream.destroy();
    }
  }
}

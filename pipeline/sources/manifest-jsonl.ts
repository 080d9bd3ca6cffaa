import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import { FileSource, type ManifestOptions } from './file-source.ts';
import { manifestRow, preview, type RowContext } from './manifest-row.ts';
import { PathResolver } from './paths.ts';
import { problem, SourceError, type SourceEntry } from './types.ts';

/**
 * A JSONL manifest: one JSON object per line (fields in manifest-row.ts). A line that does not
 * parse is a problem naming its line number; the lines after it go on. Blank lines are not entries.
 *
 * Lines end where readline ends them (`\n`, `\r\n`, or a lone `\r`), but the file is split here a
 * read chunk at a time and handed out as one batch per chunk (`entryBatches`, which the planner
 * prefers): readline's per-line events and an await per entry cost more than the JSON.parse.
 */
export class JsonlManifestSource extends FileSource<ManifestOptions> {
  readonly type = 'jsonl' as const;
  constructor(file: string, opts: ManifestOptions = {}) {
    super('jsonl manifest', file, opts, (f) => opts.root ?? dirname(f));
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    for await (const batch of this.entryBatches()) yield* batch;
  }

  /** The entries of each read chunk, in file order; failures are SourceErrors as from `entries()`. */
  async *entryBatches(): AsyncIterable<SourceEntry[]> {
    let paths: PathResolver;
    try {
      paths = new PathResolver(this.root, this.opts);
    } catch (e) {
      throw new SourceError(this.description, (e as Error).message, { cause: e });
    }
    const stream = createReadStream(this.file, { encoding: 'utf8', highWaterMark: 1 << 16 });
    const opened = new Promise<void>((ok, fail) => {
      stream.once('open', () => ok());
      stream.once('error', (e) => fail(new SourceError(this.description, `cannot read: ${e.message}`, { cause: e })));
    });
    await opened;
    let n = 0;
    // one context for every line (manifestRow reads it and keeps nothing of it)
    const ctx: RowContext = { source: this.description, where: '', line: 0, paths };
    const line = (text: string, out: SourceEntry[]): void => {
      n++;
      if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM from Windows editors
      if (text.trim() === '') return;
      const where = `line ${n}`;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (e) {
        out.push(
          problem(this, 'malformed', where, `not valid JSON (${(e as Error).message}): ${preview(text)}`, { line: n }),
        );
        return;
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        out.push(problem(this, 'malformed', where, `expected a JSON object, got ${preview(row)}`, { line: n }));
        return;
      }
      ctx.where = where;
      ctx.line = n;
      out.push(manifestRow(row as Record<string, unknown>, ctx));
    };
    // a segment ended by `\n` (its `\r` dropped) may still hold lone `\r`s, each a line end to readline
    const segment = (text: string, out: SourceEntry[]): void => {
      if (text.indexOf('\r') < 0) line(text, out);
      else for (const piece of text.split('\r')) line(piece, out);
    };
    let rest = '';
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        const text = rest + chunk;
        const batch: SourceEntry[] = [];
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          segment(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl), batch);
          start = nl + 1;
        }
        rest = text.slice(start);
        if (batch.length) yield batch;
      }
      if (rest !== '') {
        // readline gives no empty line after a final lone `\r`
        const pieces = rest.split('\r');
        if (pieces.at(-1) === '') pieces.pop();
        const batch: SourceEntry[] = [];
        for (const piece of pieces) line(piece, batch);
        if (batch.length) yield batch;
      }
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(this.description, `read failed after line ${n}: ${(e as Error).message}`, { cause: e });
    } finally {
      stream.destroy();
    }
  }
}

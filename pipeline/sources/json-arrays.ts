import { createReadStream } from 'node:fs';
import { SourceError } from './types.ts';

/**
 * Streams the elements of chosen top-level arrays of one JSON object file, e.g. `images` and
 * `annotations` of a COCO file, handing each element's JSON text to `onElement` (the caller
 * JSON.parses it). The file is never held whole: V8 cannot make a string over ~512 MiB, and
 * Objects365's instances file is several GiB. Other top-level values are skipped by structure.
 *
 * A byte-level scan (depth, in-string, escape) finds element boundaries; only the wanted
 * elements are decoded, so cost is one pass over the bytes plus a small JSON.parse per element.
 * Malformed structure (not an object, unbalanced brackets, truncated file) is a SourceError with
 * the byte offset. Returns the top-level keys seen.
 */
export async function scanJsonArrays(
  file: string,
  description: string,
  wanted: ReadonlySet<string>,
  onElement: (key: string, json: string, index: number) => void,
  chunkBytes = 4 << 20,
): Promise<Set<string>> {
  const seen = new Set<string>();
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let keyBytes: number[] | null = null; // bytes of the string being read at depth 1
  let lastKey = '';
  let capturing: string | null = null; // the wanted array we are inside (depth 2)
  let inElement = false;
  let index = 0;
  let pieces: Buffer[] = [];
  let offset = 0;
  const fail = (at: number, why: string): never => {
    throw new SourceError(description, `invalid JSON at byte ${at}: ${why}`);
  };

  const stream = createReadStream(file, { highWaterMark: chunkBytes });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      const n = chunk.length;
      for (let i = 0; i < n; i++) {
        const b = chunk[i]!;
        if (inString) {
          if (keyBytes) keyBytes.push(b);
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) {
            inString = false;
            if (keyBytes) {
              keyBytes.pop();
              lastKey = Buffer.from(keyBytes).toString('utf8');
              keyBytes = null;
            }
          }
          continue;
        }
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
        if (!started) {
          if (b !== 0x7b) fail(offset + i, 'the file is not a JSON object');
          started = true;
        }
        if (capturing !== null && depth === 2 && !inElement) {
          if (b === 0x2c) continue;
          if (b !== 0x5d) {
            inElement = true;
            start = i;
          }
        }
        if (b === 0x22) {
          inString = true;
          if (depth === 1) keyBytes = [];
        } else if (b === 0x7b || b === 0x5b) {
          if (depth === 1 && b === 0x5b) {
            seen.add(lastKey);
            if (wanted.has(lastKey)) {
              capturing = lastKey;
              index = 0;
            }
          } else if (depth === 1) {
            seen.add(lastKey);
          }
          depth++;
        } else if (b === 0x7d || b === 0x5d) {
          if (inElement && depth === 2) emit(chunk, start, i);
          depth--;
          if (depth < 0) fail(offset + i, 'unbalanced brackets');
          if (depth === 1) capturing = null;
        } else if (b === 0x2c && inElement && depth === 2) {
          emit(chunk, start, i);
        } else if (depth === 1 && b !== 0x3a && b !== 0x2c) {
          seen.add(lastKey); // a scalar value at the top level
        }
      }
      if (inElement) pieces.push(Buffer.from(chunk.subarray(start)));
      offset += n;
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(description, `cannot read: ${(e as Error).message}`, { cause: e });
  } finally {
    stream.destroy();
  }
  if (!started) fail(offset, 'the file is empty');
  if (depth !== 0 || inString) fail(offset, 'the file ends inside a value (truncated?)');
  return seen;

  function emit(chunk: Buffer, start: number, end: number): void {
    let text: string;
    if (pieces.length) {
      pieces.push(chunk.subarray(0, end));
      text = Buffer.concat(pieces).toString('utf8');
      pieces = [];
    } else {
      text = chunk.toString('utf8', start, end);
    }
    inElement = false;
    onElement(capturing!, text, index++);
  }
}

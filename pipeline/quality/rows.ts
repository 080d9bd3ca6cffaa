import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANNOTATION_KINDS, RECORD_SCHEMAS } from '../../schemas/records.ts';
import { validate } from '../../schemas/validate.ts';
import { readParquet } from '../world/parquet.ts';
import type { AnnotationRows } from './score.ts';

/**
 * Annotation rows from a folder: `<kind>.jsonl` files (as `fld world export-noisy` writes its labels)
 * or `<kind>/*.parquet` shards (a round's layout, DESIGN.md section 4). Every row is validated.
 */
export async function loadAnnotationRows(dir: string): Promise<AnnotationRows> {
  const out: AnnotationRows = {};
  let found = 0;
  for (const kind of ANNOTATION_KINDS) {
    const rows: unknown[] = [];
    const jsonl = join(dir, `${kind}.jsonl`);
    if (existsSync(jsonl)) {
      readFileSync(jsonl, 'utf8').split('\n').forEach((l, i) => {
        if (!l.trim()) return;
        try {
          rows.push(JSON.parse(l));
        } catch (e) {
          throw new Error(`quality: ${jsonl} line ${i + 1} is not JSON (${(e as Error).message})`);
        }
      });
      found++;
    }
    const shards = join(dir, kind);
    if (existsSync(shards)) {
      for (const f of readdirSync(shards).filter((n) => n.endsWith('.parquet')).sort()) rows.push(...(await readParquet(join(shards, f))));
      found++;
    }
    (out as Record<string, unknown[]>)[kind] = rows.map((r, i) => validate(RECORD_SCHEMAS[kind], r, `${kind} row ${i} in ${dir}`));
  }
  if (found === 0) throw new Error(`quality: ${dir} holds no ${ANNOTATION_KINDS.map((k) => `${k}.jsonl or ${k}/*.parquet`).join(', ')}`);
  return out;
}

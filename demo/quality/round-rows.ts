import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANNOTATION_KINDS, RECORD_SCHEMAS } from '../../schemas/records.ts';
import { validate } from '../../schemas/validate.ts';
import { readParquet } from '../world/parquet.ts';
import type { AnnotationRows } from './score.ts';

/**
 * Annotation rows from a folder: `<kind>.jsonl` files (as `fld world export-noisy` writes its labels)
 * or `<kind>/*.parquet` shards (a round's layout, docs/architecture.md, "A round and its files"). Every row is validated.
 */
export async function loadAnnotationRows(dir: string): Promise<AnnotationRows> {
  const out: AnnotationRows = {};
  let found = 0;
  for (const kind of ANNOTATION_KINDS) {
    const rows: unknown[] = [];
    const jsonl = join(dir, `${kind}.jsonl`);
    if (existsSync(jsonl)) {
      readFileSync(jsonl, 'utf8')
        .split('\n')
        .forEach((l, i) => {
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
      for (const f of readdirSync(shards)
        .filter((n) => n.endsWith('.parquet'))
        .sort())
        rows.push(...(await readParquet(join(shards, f))));
      found++;
    }
    (out as Record<string, unknown[]>)[kind] = rows.map((r, i) =>
      validate(RECORD_SCHEMAS[kind], r, `${kind} row ${i} in ${dir}`),
    );
  }
  if (found === 0)
    throw new Error(
      `quality: ${dir} holds no ${ANNOTATION_KINDS.map((k) => `${k}.jsonl or ${k}/*.parquet`).join(', ')}`,
    );
  return out;
}

/**
 * Maps the engine's image ids (hashes of URIs) to the truth's, through the image records: a record
 * whose `uri` ends with a truth image's `uri` (`images/000123.png`) is that image. Reads
 * `*.parquet` / `*.jsonl` files of image records in `dir` (the `<collection>/images/` shards).
 */
export async function imageIdMap(
  dir: string,
  truthImages: readonly { image_id: string; uri: string }[],
): Promise<Map<string, string>> {
  const records: { image_id: string; uri: string }[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (f.endsWith('.parquet')) records.push(...((await readParquet(p)) as { image_id: string; uri: string }[]));
    else if (f.endsWith('.jsonl'))
      for (const l of readFileSync(p, 'utf8').split('\n')) if (l.trim()) records.push(JSON.parse(l));
  }
  const out = idMapOf(records, truthImages);
  if (records.length > 0 && out.size === 0)
    throw new Error(`quality: no image record in ${dir} has a uri ending in a world image (images/NNNNNN.png)`);
  return out;
}

/** Engine image id -> truth image id, for image records already read (a record whose uri ends with a truth image's uri). */
export function idMapOf(
  records: readonly { image_id: string; uri: string }[],
  truthImages: readonly { image_id: string; uri: string }[],
): Map<string, string> {
  const byUri = new Map(truthImages.map((t) => [t.uri, t.image_id]));
  const out = new Map<string, string>();
  for (const r of records) {
    const uri = String(r.uri).replaceAll('\\', '/');
    const m = /images\/[^/]+$/.exec(uri);
    const id = m ? byUri.get(m[0]) : undefined;
    if (id !== undefined) out.set(String(r.image_id), id);
  }
  return out;
}

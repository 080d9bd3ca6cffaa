import { Granularity } from '../../schemas/records.ts';
import type { StatsDb } from './db.ts';

/**
 * The paper's Tables 2 and 3 (section 5.2) over one round's views (see db.ts), plus an overview in
 * the spirit of Table 1. "Tokens" are whitespace-separated words (the `ntok` macro of db.ts).
 */

export const GRANULARITIES = Granularity.options;

export interface Overview {
  /** Distinct image_id over the three annotation kinds. */
  images: number;
  text: number;
  region_text: number;
  /** region_text rows by region kind (`object`, `text`). */
  region_kinds: Record<string, number>;
  text_phrase_region: number;
  /** Boxes over all text_phrase_region rows (a phrase may ground to several). */
  text_phrase_region_boxes: number;
  errors: number;
  /** Image records of the collection (images/ shards), null when it has none. */
  collection_images: number | null;
}

/** One row of Table 2. `null` is the paper's "-" (not applicable) or an average over nothing. */
export interface Table2Row {
  annotation_type: 'Text' | 'Region-Text' | 'Text-Phrase-Region';
  text_type: string;
  image_annotations: number;
  avg_tokens: number | null;
  regions: number | null;
  avg_regions: number | null;
  avg_regional_tokens: number | null;
}

export interface Table3Row {
  granularity: string;
  image_annotations: number;
  avg_tokens: number | null;
  avg_objects: number | null;
  avg_attributes: number | null;
  avg_actions: number | null;
  avg_proper_nouns: number | null;
  avg_object_complexity: number | null;
  avg_action_complexity: number | null;
}

const TEXT_TYPE: Record<string, string> = { brief: 'Brief', detailed: 'Detailed', more_detailed: 'More detailed' };

const one = async <T>(db: StatsDb, sql: string): Promise<T> => (await db.rows<T>(sql))[0];
function byKey<T, K extends keyof T>(rows: T[], key: K): Map<T[K], T> {
  return new Map(rows.map((r) => [r[key], r]));
}

export async function overview(db: StatsDb, p: string, hasImageShards: boolean): Promise<Overview> {
  const o = await one<Omit<Overview, 'region_kinds' | 'collection_images'>>(
    db,
    `SELECT
      (SELECT count(DISTINCT image_id) FROM (SELECT image_id FROM ${p}text UNION ALL SELECT image_id FROM ${p}region_text
        UNION ALL SELECT image_id FROM ${p}text_phrase_region)) AS images,
      (SELECT count(*) FROM ${p}text) AS text,
      (SELECT count(*) FROM ${p}region_text) AS region_text,
      (SELECT count(*) FROM ${p}text_phrase_region) AS text_phrase_region,
      (SELECT coalesce(sum(len(boxes)), 0) FROM ${p}text_phrase_region) AS text_phrase_region_boxes,
      (SELECT count(*) FROM ${p}errors) AS errors`,
  );
  const kinds = await db.rows<{ kind: string; n: number }>(
    `SELECT kind, count(*) AS n FROM ${p}region_text GROUP BY 1 ORDER BY 1`,
  );
  const collection_images = hasImageShards
    ? (await one<{ n: number }>(db, `SELECT count(*) AS n FROM ${p}images`)).n
    : null;
  return { ...o, region_kinds: Object.fromEntries(kinds.map((k) => [k.kind, k.n])), collection_images };
}

export async function table2(db: StatsDb, p: string): Promise<Table2Row[]> {
  const texts = byKey(
    await db.rows<{ g: string; n: number; tok: number | null }>(
      `SELECT granularity AS g, count(*) AS n, avg(ntok(text)) AS tok FROM ${p}text GROUP BY 1`,
    ),
    'g',
  );
  const rows: Table2Row[] = GRANULARITIES.map((g) => ({
    annotation_type: 'Text',
    text_type: TEXT_TYPE[g],
    image_annotations: texts.get(g)?.n ?? 0,
    avg_tokens: texts.get(g)?.tok ?? null,
    regions: null,
    avg_regions: null,
    avg_regional_tokens: null,
  }));

  // Region-text: one line for the phrase (category / OCR text), one for the brief region caption.
  for (const [type, col] of [
    ['Phrase', 'phrase'],
    ['Brief', 'brief'],
  ] as const) {
    const r = await one<{ imgs: number; n: number; tok: number | null }>(
      db,
      `SELECT count(DISTINCT image_id) AS imgs, count(*) AS n, avg(ntok(${col})) AS tok FROM ${p}region_text WHERE ${col} IS NOT NULL`,
    );
    rows.push({
      annotation_type: 'Region-Text',
      text_type: type,
      image_annotations: r.imgs,
      avg_tokens: null,
      regions: r.n,
      avg_regions: r.imgs ? r.n / r.imgs : null,
      avg_regional_tokens: r.tok,
    });
  }

  // Text-phrase-region: the texts that have phrase-region rows, their length, and the rows per text.
  const tpr = byKey(
    await db.rows<{ g: string; texts: number; n: number; rtok: number | null }>(
      `SELECT granularity AS g, count(DISTINCT (image_id, text_id)) AS texts, count(*) AS n, avg(ntok(phrase)) AS rtok
       FROM ${p}text_phrase_region GROUP BY 1`,
    ),
    'g',
  );
  const tprTok = byKey(
    await db.rows<{ g: string; tok: number | null }>(
      // Counting tokens before the join, not after, is ten times faster in DuckDB 1.5 (bench/stats).
      `SELECT d.granularity AS g, avg(t.tok) AS tok
       FROM (SELECT DISTINCT image_id, text_id, granularity FROM ${p}text_phrase_region) d
       JOIN (SELECT image_id, text_id, ntok(text) AS tok FROM ${p}text) t USING (image_id, text_id) GROUP BY 1`,
    ),
    'g',
  );
  for (const g of GRANULARITIES) {
    const r = tpr.get(g);
    rows.push({
      annotation_type: 'Text-Phrase-Region',
      text_type: TEXT_TYPE[g],
      image_annotations: r?.texts ?? 0,
      avg_tokens: tprTok.get(g)?.tok ?? null,
      regions: r?.n ?? 0,
      avg_regions: r?.texts ? r.n / r.texts : null,
      avg_regional_tokens: r?.rtok ?? null,
    });
  }
  return rows;
}

export async function table3(db: StatsDb, p: string): Promise<Table3Row[]> {
  const got = byKey(
    await db.rows<Table3Row>(`SELECT granularity, count(*) AS image_annotations,
      avg(ntok(text)) AS avg_tokens, avg(objects) AS avg_objects, avg(attributes) AS avg_attributes,
      avg(actions) AS avg_actions, avg(proper_nouns) AS avg_proper_nouns,
      avg(object_complexity) AS avg_object_complexity, avg(action_complexity) AS avg_action_complexity
    FROM ${p}text GROUP BY 1`),
    'granularity',
  );
  return GRANULARITIES.map(
    (g) =>
      got.get(g) ?? {
        granularity: g,
        image_annotations: 0,
        avg_tokens: null,
        avg_objects: null,
        avg_attributes: null,
        avg_actions: null,
        avg_proper_nouns: null,
        avg_object_complexity: null,
        avg_action_complexity: null,
      },
  );
}

/** text_phrase_region rows whose text is not among the round's text rows (their tokens cannot be counted). */
export async function orphanPhraseTexts(db: StatsDb, p: string): Promise<number> {
  return (
    await one<{ n: number }>(
      db,
      `SELECT count(*) AS n FROM (SELECT DISTINCT image_id, text_id FROM ${p}text_phrase_region) d
    ANTI JOIN ${p}text t USING (image_id, text_id)`,
    )
  ).n;
}

import { ANNOTATION_KINDS, type AnnotationKind } from '../../schemas/records.ts';
import { ROW_KEYS, SQL_COLUMNS } from './sql-columns.ts';
import type { StatsDb } from './db.ts';

/**
 * What round R added, removed and changed versus round R0. A row's identity is its id columns
 * (ROW_KEYS in sql-columns.ts: text by image_id + text_id, region_text by image_id + region_id,
 * text_phrase_region by image_id + text_id + span); a row present in both rounds whose other
 * columns (all but `round`) differ is "changed". Added rows are attributed to their source and group
 * in R, removed rows to theirs in R0, changed rows to R.
 */
export interface DiffCounts {
  key: string;
  before: number;
  after: number;
  added: number;
  removed: number;
  changed: number;
}

export interface KindDiff {
  kind: AnnotationKind;
  rows: DiffCounts;
  /** Which column the `groups` split is by: granularity, or region kind for region_text. */
  group_by: string;
  groups: DiffCounts[];
  sources: DiffCounts[];
  images_changed: number;
}

export interface RoundDiff {
  from_round: number;
  to_round: number;
  kinds: KindDiff[];
  /** Images with any added, removed or changed annotation row, over all kinds. */
  images_changed: number;
  /** The first of them in id order (at most 50), to look at. */
  images_changed_sample: string[];
}

const GROUP_BY: Record<AnnotationKind, string> = {
  text: 'granularity',
  region_text: 'kind',
  text_phrase_region: 'granularity',
};

async function breakdown(db: StatsDb, table: string, col0: string, col1: string): Promise<DiffCounts[]> {
  return db.rows<DiffCounts>(`SELECT coalesce(key, '(null)') AS key, sum(b)::BIGINT AS before, sum(a)::BIGINT AS after,
      sum(ad)::BIGINT AS added, sum(rm)::BIGINT AS removed, sum(ch)::BIGINT AS changed FROM (
      SELECT ${col0} AS key, 1 AS b, 0 AS a, 0 AS ad, (NOT in1)::INT AS rm, 0 AS ch FROM ${table} WHERE in0
      UNION ALL
      SELECT ${col1} AS key, 0, 1, (NOT in0)::INT, 0, changed::INT FROM ${table} WHERE in1)
    GROUP BY 1 ORDER BY 1`);
}

async function diffKind(db: StatsDb, kind: AnnotationKind, p0: string, p1: string): Promise<KindDiff> {
  const keys = ROW_KEYS[kind];
  const content = Object.keys(SQL_COLUMNS[kind]).filter((c) => c !== 'round' && !keys.includes(c));
  const g = GROUP_BY[kind];
  const table = `diff_${kind}`;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT
      coalesce(n.image_id, o.image_id) AS image_id, o.source AS src0, n.source AS src1, o."${g}" AS g0, n."${g}" AS g1,
      o.p_ IS NOT NULL AS in0, n.p_ IS NOT NULL AS in1,
      (o.p_ IS NOT NULL AND n.p_ IS NOT NULL AND (${content.map((c) => `o."${c}" IS DISTINCT FROM n."${c}"`).join(' OR ')})) AS changed
    FROM (SELECT true AS p_, * FROM ${p0}${kind}) o
    FULL OUTER JOIN (SELECT true AS p_, * FROM ${p1}${kind}) n ON ${keys.map((k) => `o."${k}" = n."${k}"`).join(' AND ')}`);
  const [rows] = await breakdown(db, table, "'all'", "'all'");
  const imgs = await db.rows<{ n: number }>(
    `SELECT count(DISTINCT image_id) AS n FROM ${table} WHERE changed OR in0 <> in1`,
  );
  return {
    kind,
    rows: rows ?? { key: 'all', before: 0, after: 0, added: 0, removed: 0, changed: 0 },
    group_by: g,
    groups: await breakdown(db, table, 'g0', 'g1'),
    sources: await breakdown(db, table, 'src0', 'src1'),
    images_changed: imgs[0].n,
  };
}

/** Diff the views registered with prefix `p1` (round `to`) against those with prefix `p0` (round `from`). */
export async function roundDiff(db: StatsDb, from: number, p0: string, to: number, p1: string): Promise<RoundDiff> {
  const kinds: KindDiff[] = [];
  for (const k of ANNOTATION_KINDS) kinds.push(await diffKind(db, k, p0, p1));
  const changedImages = ANNOTATION_KINDS.map((k) => `SELECT image_id FROM diff_${k} WHERE changed OR in0 <> in1`).join(
    ' UNION ',
  );
  const [{ n }] = await db.rows<{ n: number }>(`SELECT count(*) AS n FROM (${changedImages})`);
  const sample = await db.rows<{ image_id: string }>(`SELECT image_id FROM (${changedImages}) ORDER BY 1 LIMIT 50`);
  return {
    from_round: from,
    to_round: to,
    kinds,
    images_changed: n,
    images_changed_sample: sample.map((r) => r.image_id),
  };
}

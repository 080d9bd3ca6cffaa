import { ANNOTATION_KINDS } from '../../schemas/records.ts';
import type { StatsDb } from './db.ts';

/**
 * Per-source counts: `rows` = rows whose `source` is this source (who wrote the row, after merging),
 * `contributed` = rows whose `sources` list names it (who took part before merging or fusion).
 */
export interface SourceRow {
  kind: string;
  source: string;
  rows: number;
  contributed: number;
}

export async function sourceCounts(db: StatsDb, p: string): Promise<SourceRow[]> {
  const parts = ANNOTATION_KINDS.map(
    (k) => `
    SELECT '${k}' AS kind, source, count(*) AS rows, 0 AS contributed FROM ${p}${k} GROUP BY source
    UNION ALL
    SELECT '${k}' AS kind, s AS source, 0 AS rows, count(*) AS contributed
      FROM (SELECT unnest(list_distinct(sources)) AS s FROM ${p}${k}) GROUP BY s`,
  );
  return db.rows<SourceRow>(`SELECT kind, source, sum(rows)::BIGINT AS rows, sum(contributed)::BIGINT AS contributed
    FROM (${parts.join(' UNION ALL ')}) GROUP BY kind, source
    ORDER BY array_position(['text', 'region_text', 'text_phrase_region'], kind), rows DESC, contributed DESC, source`);
}

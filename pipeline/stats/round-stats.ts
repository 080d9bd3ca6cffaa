import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { Acceptance } from '../../schemas/acceptance.ts';
import {
  GRANULARITIES,
  orphanPhraseTexts,
  overview,
  table2,
  table3,
  type Overview,
  type Table2Row,
  type Table3Row,
} from './annotations.ts';
import { StatsDb, registerRound } from './db.ts';
import { roundDiff, type RoundDiff } from './diff.ts';
import { errorStages, type ErrorStageRow } from './error-stages.ts';
import { StatsInputError } from './stats-errors.ts';
import { filterStats, type FilterStats } from './filters.ts';
import { qualityByRound, type RoundQualityEntry } from './quality-rounds.ts';
import { locateRound } from './stats-inputs.ts';
import { localFiles, type LocalFiles } from '../storage/local-files.ts';
import { openStorage, type OpenedStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import { sourceCounts, type SourceRow } from './sources.ts';
import { spatialStats, type SpatialStats } from './spatial.ts';

/** Everything `fld stats` reports about one round: plain data, printed as tables, JSON or HTML. */
export interface RoundStats {
  schema_version: number;
  root: string;
  collection: string;
  round: number;
  shards: Record<RoundKind, number>;
  overview: Overview;
  /** The error rows per stage (empty when the round has none). */
  error_stages: ErrorStageRow[];
  table2: Table2Row[];
  table3: Table3Row[];
  sources: SourceRow[];
  filters: FilterStats;
  spatial: SpatialStats;
  diff: RoundDiff | null;
  /** The verified set's thresholds and gate decisions the round ran under (its manifest's), or null. */
  acceptance: Acceptance | null;
  /** Label quality of rounds 0..round against a demo world's truth, where `fld quality` scored them (the manifests' `quality`). */
  quality: RoundQualityEntry[];
  /** Things a reader should know about these numbers (fallbacks, rows left out and why). */
  warnings: string[];
}

export interface StatsOptions {
  /** The storage root: a local folder, `file://` or `s3://` URL (pipeline/storage/open-storage.ts). */
  root: string;
  /** The storage to read instead of opening `root` (the caller keeps and closes it). */
  storage?: Storage;
  collection?: string;
  round: number;
  diff?: number;
}

/**
 * DuckDB reads local files: a local root's own, or copies of an S3 round's files in a temp folder
 * (pipeline/storage/local-files.ts), deleted when the stats are done.
 */
export async function computeRoundStats(opts: StatsOptions): Promise<RoundStats> {
  const storage = opts.storage ?? openStorage(opts.root);
  const local = await localFiles(storage);
  try {
    return await statsOf(storage, local, opts);
  } finally {
    await local.close();
    if (!opts.storage) await (storage as OpenedStorage).close();
  }
}

async function statsOf(storage: Storage, local: LocalFiles, opts: StatsOptions): Promise<RoundStats> {
  const files = await locateRound(storage, local, opts.collection, opts.round);
  const base = opts.diff === undefined ? null : await locateRound(storage, local, files.collection, opts.diff);
  const db = await StatsDb.open();
  try {
    const p = `r${opts.round}_`;
    await registerRound(db, files, p);
    const ov = await overview(db, p, files.images.length > 0);
    const where = `round ${opts.round} of collection "${files.collection}" under ${files.root}`;
    const annotationShards =
      files.shards.text.length + files.shards.region_text.length + files.shards.text_phrase_region.length;
    if (ov.text + ov.region_text + ov.text_phrase_region === 0) {
      throw new StatsInputError(
        `stats: ${where} is empty: no annotation rows in ${annotationShards} annotation shard(s)` +
          (ov.errors ? ` (${ov.errors} error rows)` : ''),
      );
    }
    const warnings: string[] = [];
    const spatial = await spatialStats(db, p);
    if (spatial.normalised_by.box_extents > 0) {
      warnings.push(
        `${spatial.normalised_by.box_extents} image(s) have no width/height in the collection's image records` +
          `${files.images.length ? '' : ' (no images/ shards)'}: their boxes are normalised by the extent of their boxes instead`,
      );
    }
    if (spatial.degenerate > 0)
      warnings.push(`${spatial.degenerate} box(es) with no positive width or height are left out of the plots`);
    const orphans = await orphanPhraseTexts(db, p);
    if (orphans > 0)
      warnings.push(
        `${orphans} text(s) of text_phrase_region rows are not among the round's text rows: their tokens are not counted`,
      );
    const odd = await db.rows<{
      g: string;
      n: number;
    }>(`SELECT granularity AS g, count(*) AS n FROM (SELECT granularity FROM ${p}text
      UNION ALL SELECT granularity FROM ${p}text_phrase_region) WHERE granularity NOT IN (${GRANULARITIES.map((g) => `'${g}'`).join(', ')})
      OR granularity IS NULL GROUP BY 1`);
    for (const o of odd)
      warnings.push(
        `${o.n} row(s) have granularity ${JSON.stringify(o.g)}, which is none of ${GRANULARITIES.join(', ')}: left out of Tables 2 and 3`,
      );
    const filters = await filterStats(storage, files.collection, opts.round);
    for (const f of filters.filters) {
      if (f.unaccounted !== 0)
        warnings.push(`filter ${f.stage}/${f.filter}: total ${f.total} but kept + dropped = ${f.kept + f.dropped}`);
    }
    let diff: RoundDiff | null = null;
    if (base) {
      const p0 = `r${base.round}_base_`;
      await registerRound(db, base, p0);
      diff = await roundDiff(db, base.round, p0, opts.round, p);
    }
    return {
      schema_version: SCHEMA_VERSION,
      root: files.root,
      collection: files.collection,
      round: opts.round,
      shards: Object.fromEntries(ROUND_KINDS.map((k) => [k, files.shards[k].length])) as Record<RoundKind, number>,
      overview: ov,
      error_stages: ov.errors ? await errorStages(db, p) : [],
      table2: await table2(db, p),
      table3: await table3(db, p),
      sources: await sourceCounts(db, p),
      filters,
      spatial,
      diff,
      warnings,
      acceptance: files.manifest?.acceptance ? Acceptance.parse(files.manifest.acceptance) : null,
      quality: await qualityByRound(storage, files.collection, opts.round, warnings),
    };
  } finally {
    db.close();
  }
}

import { z } from 'zod';
import { validate } from '../../schemas/validate.ts';
import { listDoneMarkers } from '../rounds/round-reader.ts';
import type { Storage } from '../storage/storage.ts';
import { StatsInputError } from './stats-errors.ts';

/**
 * Filter pass rates and drop reasons, summed over a round's done markers
 * (`round-R/_done/<stage>/shard-NNNNN.json`). A marker may carry `stats`, shaped
 * `{ [stage or filter]: { total, kept, dropped: { [reason]: n } } }` (see README.md); every other
 * field of the marker is left alone. Counts add up across shards (docs/architecture.md, "The stage contract").
 */
const Count = z.number().int().min(0);
const FilterCounts = z.object({ total: Count, kept: Count, dropped: z.record(z.string(), Count).default({}) });
export const MarkerStats = z.record(z.string(), FilterCounts);
const Marker = z.looseObject({ stats: MarkerStats.optional() });

export interface StageDone {
  /** The `_done/` folder name (a stage with ':' written as '_', see pipeline/layout.ts). */
  stage: string;
  shards: number;
  shards_with_stats: number;
}

export interface FilterRow {
  stage: string;
  filter: string;
  total: number;
  kept: number;
  dropped: number;
  /** kept / total, null when nothing went in. */
  pass_rate: number | null;
  /** Drop counts per reason, largest first. */
  reasons: { reason: string; n: number }[];
  /** total - kept - dropped: items a filter neither kept nor gave a reason for (should be 0). */
  unaccounted: number;
}

export interface FilterStats {
  stages: StageDone[];
  filters: FilterRow[];
}

export async function filterStats(storage: Storage, collection: string, round: number): Promise<FilterStats> {
  const stages: StageDone[] = [];
  const sums = new Map<
    string,
    { stage: string; filter: string; total: number; kept: number; dropped: Map<string, number> }
  >();
  for (const { stage, key } of await listDoneMarkers(storage, collection, round)) {
    let done = stages.at(-1);
    if (done?.stage !== stage) stages.push((done = { stage, shards: 0, shards_with_stats: 0 }));
    const what = `done marker ${key}`;
    let marker: z.infer<typeof Marker>;
    try {
      marker = validate(Marker, JSON.parse(new TextDecoder().decode(await storage.get(key))), what);
    } catch (e) {
      const msg = e instanceof SyntaxError ? `${what} is not valid JSON: ${e.message}` : (e as Error).message;
      throw new StatsInputError(`stats: ${msg}`);
    }
    done.shards++;
    if (!marker.stats) continue;
    done.shards_with_stats++;
    for (const [filter, c] of Object.entries(marker.stats)) {
      const sumKey = `${stage}\u0000${filter}`;
      const s = sums.get(sumKey) ?? { stage, filter, total: 0, kept: 0, dropped: new Map<string, number>() };
      s.total += c.total;
      s.kept += c.kept;
      for (const [reason, n] of Object.entries(c.dropped)) s.dropped.set(reason, (s.dropped.get(reason) ?? 0) + n);
      sums.set(sumKey, s);
    }
  }
  const filters = [...sums.values()].map((s) => {
    const reasons = [...s.dropped]
      .map(([reason, n]) => ({ reason, n }))
      .sort((a, b) => b.n - a.n || a.reason.localeCompare(b.reason));
    const dropped = reasons.reduce((a, r) => a + r.n, 0);
    return {
      stage: s.stage,
      filter: s.filter,
      total: s.total,
      kept: s.kept,
      dropped,
      pass_rate: s.total ? s.kept / s.total : null,
      reasons,
      unaccounted: s.total - s.kept - dropped,
    };
  });
  return { stages, filters };
}

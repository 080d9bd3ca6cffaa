/**
 * Stats as data (docs/architecture.md, "The stage contract"): each filter counts what it saw, kept and dropped per reason,
 * plus named counters for changes that are not drops (a box clipped to the image, control characters
 * replaced). Plain JSON, so a shard's stats go in its done marker and add up across shards.
 */
export interface FilterStats {
  filter: string;
  total: number;
  kept: number;
  dropped: Record<string, number>;
  changed: Record<string, number>;
}

export function newStats(filter: string): FilterStats {
  return { filter, total: 0, kept: 0, dropped: {}, changed: {} };
}

export function countKept(s: FilterStats): void {
  s.total++;
  s.kept++;
}

export function countDropped(s: FilterStats, reason: string): void {
  s.total++;
  s.dropped[reason] = (s.dropped[reason] ?? 0) + 1;
}

export function countChanged(s: FilterStats, what: string, n = 1): void {
  s.changed[what] = (s.changed[what] ?? 0) + n;
}

/** Sum of two stats of the same filter (shards add up). */
export function addStats(a: FilterStats, b: FilterStats): FilterStats {
  if (a.filter !== b.filter) throw new Error(`addStats: cannot add stats of "${b.filter}" to "${a.filter}"`);
  const out = newStats(a.filter);
  out.total = a.total + b.total;
  out.kept = a.kept + b.kept;
  for (const src of [a, b]) {
    for (const [k, v] of Object.entries(src.dropped)) out.dropped[k] = (out.dropped[k] ?? 0) + v;
    for (const [k, v] of Object.entries(src.changed)) out.changed[k] = (out.changed[k] ?? 0) + v;
  }
  return out;
}

/** A filter's verdict on one item: keep, or drop with the rule that dropped it and a readable detail. */
export type Decision = { keep: true } | { keep: false; reason: string; detail: string };
export const KEEP: Decision = Object.freeze({ keep: true }) as Decision;
export const drop = (reason: string, detail: string): Decision => ({ keep: false, reason, detail });

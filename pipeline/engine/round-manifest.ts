import type { ManifestFile } from '../../schemas/manifest.ts';
import { ROUND_KINDS, type RoundKind } from '../../schemas/records.ts';
import type { RoundPlan } from '../../schemas/round-plan.ts';
import { readDoneMarker, summarizeFiles, writeManifest } from '../shards/round-files.ts';
import type { Storage } from '../storage/storage.ts';
import { readAcceptance } from './round-acceptance.ts';
import { listImageShards, readCollectionPlan } from './plan-files.ts';

/**
 * Writes the round manifest once every image shard of the collection has a merge done marker or is
 * failed for good: the files and row counts from the markers, the source's skipped entries from the
 * collection plan, the failed shards. Returns null (and writes nothing) while shards are outstanding.
 * Idempotent: any worker may call it; the last one to finish writes the same content.
 */
export async function finalizeRound(
  storage: Storage,
  plan: RoundPlan,
  failed: ReadonlySet<number>,
): Promise<string | null> {
  const { collection: c, round: r } = plan;
  const collectionPlan = await readCollectionPlan(storage, c);
  if (!collectionPlan) return null; // enqueue has not finished listing the source
  const shards = await listImageShards(storage, c);
  const files: ManifestFile[] = [];
  for (const s of shards) {
    const m = await readDoneMarker(storage, c, r, 'merge', s);
    if (!m) {
      if (failed.has(s)) continue;
      return null;
    }
    for (const f of m.files ?? []) {
      if ((ROUND_KINDS as readonly string[]).includes(f.kind))
        files.push({ key: f.key, kind: f.kind as RoundKind, shard: s, rows: f.rows, bytes: f.bytes, sha256: f.sha256 });
    }
  }
  const { counts } = summarizeFiles(files);
  // the verified set's decision this round's merge ran under, beside the rows it shaped
  const acceptance = plan.acceptance ? await readAcceptance(storage, plan.acceptance.verified, r) : null;
  const { schema_version: _v, created_at: _t, ...config } = plan;
  return writeManifest(storage, {
    collection: c,
    round: r,
    created_at: new Date().toISOString(),
    config,
    models: Object.entries(plan.specialists).map(([name, ref]) => ({ name, version: ref })),
    shards: shards.filter((s) => !failed.has(s)),
    counts,
    files,
    skipped: collectionPlan.skipped,
    failedShards: [...failed].sort((a, b) => a - b),
    ...(acceptance ? { acceptance } : {}),
    thresholds: acceptance && plan.acceptance?.calibrate ? 'calibrated' : 'configured',
  });
}

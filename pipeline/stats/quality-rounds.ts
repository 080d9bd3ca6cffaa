import { RoundQuality, type QualitySet } from '../../schemas/round-quality.ts';
import { readManifestObject } from '../rounds/round-reader.ts';
import type { Storage } from '../storage/storage.ts';

/** One round's scored quality, as `fld quality` wrote it into the round manifest. */
export interface RoundQualityEntry {
  round: number;
  annotated: QualitySet;
  held_out: QualitySet | null;
}

/**
 * The `quality` blocks of rounds 0..`upTo` of a collection, oldest first: rounds without one (never
 * scored: not a demo-world collection, or `fld quality` not run) are skipped; a block this reader
 * cannot read (another `quality_version`) is skipped with a line in `warnings`.
 */
export async function qualityByRound(
  storage: Storage,
  collection: string,
  upTo: number,
  warnings: string[],
): Promise<RoundQualityEntry[]> {
  const out: RoundQualityEntry[] = [];
  for (let r = 0; r <= upTo; r++) {
    let quality: unknown;
    try {
      quality = (await readManifestObject(storage, collection, r))?.quality;
    } catch {
      continue; // the round's own manifest is checked where it is read; an older round's broken one says nothing of quality
    }
    if (quality === undefined) continue;
    const q = RoundQuality.safeParse(quality);
    if (!q.success) {
      warnings.push(
        `round ${r}: its manifest's quality block is not readable here (${q.error.issues[0]?.message ?? 'invalid'}); left out of the quality table`,
      );
      continue;
    }
    out.push({ round: r, annotated: q.data.annotated, held_out: q.data.held_out ?? null });
  }
  return out;
}

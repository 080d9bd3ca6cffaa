import type { CollectionPlan } from '../../schemas/round-plan.ts';
import type { ErrorRecord, ImageRecord } from '../../schemas/records.ts';
import type { ShardDone } from '../engine/source-round-local.ts';
import type { StageOutput } from '../engine/stages.ts';
import { layout } from '../layout.ts';
import { readShard } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * What `fld run` and `fld enqueue` say on screen about a collection's images beyond the counts: the
 * source entries the listing skipped and the images a stage failed on, the first few by name with
 * their reasons plus counts by reason (the rest are in `images/_collection.json` and the round's
 * `errors` shards), and a progress line per shard.
 */

/** Entries named on screen; the rest are counted. */
export const SHOWN = 5;

const byCount = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The listing's skipped entries: a count by reason, then the first `SHOWN` with their messages. */
export function skippedLines(skipped: CollectionPlan['skipped'], collection: string): string[] {
  if (!skipped.total) return [];
  const lines = [`skipped ${skipped.total} of the source's entries (${byCount(skipped.byReason)}):`];
  for (const e of skipped.examples.slice(0, SHOWN)) lines.push(`  ${e.reason}: ${e.message}`);
  if (skipped.total > SHOWN)
    lines.push(
      `  ... ${skipped.total - SHOWN} more; the first ${skipped.examples.length} are in ${layout.collectionPlan(collection)}, fld source-check <source> lists every one`,
    );
  return lines;
}

/**
 * Images a stage of the round failed on (error rows), gathered shard by shard from the stages'
 * outputs: counts per stage from the done markers' counts, the first `SHOWN` read back from the
 * shards' `errors` files with the image's uri.
 */
export class FailedImages {
  readonly byStage: Record<string, number> = {};
  private readonly withErrors: number[] = [];

  add(shard: number, outputs: StageOutput[]): void {
    let annotate = 0;
    for (const o of outputs) {
      const n = o.counts.errors ?? 0;
      if (o.stage === 'merge' || !n) continue;
      this.byStage[o.stage] = (this.byStage[o.stage] ?? 0) + n;
      annotate += n;
    }
    // the merge's errors file holds every stage's rows plus its own
    const all = outputs.find((o) => o.stage === 'merge')?.counts.errors ?? annotate;
    if (all > annotate) this.byStage.merge = (this.byStage.merge ?? 0) + all - annotate;
    if (all > 0) this.withErrors.push(shard);
  }

  get total(): number {
    return Object.values(this.byStage).reduce((a, n) => a + n, 0);
  }

  async lines(storage: Storage, collection: string, round: number): Promise<string[]> {
    if (!this.total) return [];
    const lines = [
      `failed: ${this.total} image error${this.total === 1 ? '' : 's'}, a stage could not process the image (${byCount(this.byStage)}):`,
    ];
    let shown = 0;
    for (const shard of this.withErrors) {
      if (shown === SHOWN) break;
      const errors = (await readShard(storage, layout.kind(collection, round, 'errors', shard), 'errors'))
        .rows as ErrorRecord[];
      const images = new Map(
        ((await readShard(storage, layout.images(collection, shard), 'image')).rows as ImageRecord[]).map((im) => [
          im.image_id,
          im.uri,
        ]),
      );
      for (const e of errors.slice(0, SHOWN - shown))
        lines.push(`  ${e.stage}: ${images.get(e.image_id) ?? e.image_id}: ${e.message}`);
      shown += Math.min(errors.length, SHOWN - shown);
    }
    if (this.total > shown)
      lines.push(
        `  ... ${this.total - shown} more in ${layout.roundPrefix(collection, round)}errors/ (fld inspect shows them)`,
      );
    return lines;
  }
}

/** One line per shard of a round in one process, with the figures of `fld status` (pipeline/engine/round-progress.ts). */
export function progressLine(round: number, shard: number, d: ShardDone): string {
  const rate = d.imagesRun && d.seconds > 0 ? d.imagesRun / d.seconds : null;
  return (
    `round ${round}: shard ${shard} ${d.before ? 'done before' : 'done'}, ${d.imagesDone}/${d.images} images, shards ${d.shardsDone}/${d.shards} done` +
    (rate ? `, ${rate.toFixed(1)} img/s, ETA ${Math.round((d.images - d.imagesDone) / rate)} s` : '')
  );
}

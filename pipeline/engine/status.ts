import { jobId } from '../../schemas/jobs.ts';
import { layout } from '../layout.ts';
import { parseDoneMarker } from '../shards/round-files.ts';
import { listImageShards, readCollectionPlan } from './plan-files.ts';
import type { RoundError, RoundKey, RoundQueue } from './round-queue.ts';

export interface StageStatus {
  stage: string;
  queue: string;
  waiting: number;
  active: number;
  done: number;
  failed: number;
}
export interface RoundStatus {
  collection: string;
  round: number;
  shards: { total: number; pending: number; waiting: number; active: number; done: number; failed: number };
  images: { total: number; done: number; perSecond: number | null; etaSeconds: number | null };
  stages: StageStatus[];
  /** Source entries that did not become images, per reason. */
  skipped: { total: number; byReason: Record<string, number> };
  /** Per-image error rows written by finished shards. */
  itemErrors: number;
  lastErrors: RoundError[];
  /**
   * False until fld enqueue has listed the whole source (the collection plan is written after the
   * last image shard): an enqueue still running, or one that stopped early (killed, or the source
   * failed: an unreachable S3 endpoint) and must be run again. Shard totals count only what is listed.
   */
  listed: boolean;
  /** True once every listed shard is done or failed. */
  finished: boolean;
}

const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * A round's progress from storage (done markers: what is done, images, item errors, rate) and Redis
 * (what is pending, waiting, active, failed, and the last failures). Reads every merge marker of the
 * round, so it costs one small GET per finished shard.
 */
export async function roundStatus(q: RoundQueue, k: RoundKey): Promise<RoundStatus> {
  const { storage } = q;
  const stages = await q.stages(k);
  const cp = await readCollectionPlan(storage, k.collection);
  const shards = cp ? cp.shards : (await listImageShards(storage, k.collection)).length;
  const { pending, inflight, failed, lastErrors } = await q.state(k);
  const live = [...new Set([...inflight, ...failed])];
  const out: StageStatus[] = [];
  const activeShards = new Set<number>();
  let imagesDone = 0;
  let itemErrors = 0;
  let first = Infinity;
  let last = -Infinity;
  let mergeDone = new Set<number>();
  for (const s of stages) {
    const st: StageStatus = { stage: s.name, queue: s.queue, waiting: 0, active: 0, done: 0, failed: 0 };
    const prefix = layout.done(k.collection, k.round, s.name, 0).replace(/shard-\d+\.json$/, '');
    const doneHere = new Set<number>();
    for await (const key of storage.list(prefix)) {
      st.done++;
      doneHere.add(Number(/shard-(\d+)\.json$/.exec(key)?.[1]));
      if (s.name !== 'merge') continue;
      const m = parseDoneMarker(new TextDecoder().decode(await storage.get(key)), key);
      imagesDone += m.counts.images ?? 0;
      itemErrors += m.counts.errors ?? 0;
      const end = Date.parse(m.finished_at);
      first = Math.min(first, end - m.ms);
      last = Math.max(last, end);
    }
    for (const shard of live) {
      // The in-flight set was read before the markers: a shard that finished in between is done,
      // not waiting, and a job still active after its marker (merge writes the manifest last) is done too.
      if (doneHere.has(shard)) continue;
      const state = await q.queue(s.queue).getJobState(jobId({ ...k, shard, stage: s.name }));
      if (state === 'active') {
        st.active++;
        activeShards.add(shard);
      } else if (state === 'failed') st.failed++;
      else if (WAITING.has(state)) st.waiting++;
    }
    if (s.name === 'merge') mergeDone = doneHere;
    out.push(st);
  }
  const merge = out.find((s) => s.stage === 'merge')!;
  const totalImages = cp?.images ?? 0;
  const seconds = (last - first) / 1000;
  const perSecond = imagesDone && seconds > 0 ? imagesDone / seconds : null;
  const open = inflight.filter((s) => !mergeDone.has(s));
  const inflightActive = open.filter((s) => activeShards.has(s)).length;
  return {
    ...k,
    shards: {
      total: shards,
      pending,
      waiting: open.length - inflightActive,
      active: inflightActive,
      done: merge.done,
      failed: failed.length,
    },
    images: {
      total: totalImages,
      done: imagesDone,
      perSecond,
      etaSeconds: perSecond && totalImages ? Math.max(0, (totalImages - imagesDone) / perSecond) : null,
    },
    stages: out,
    skipped: { total: cp?.skipped.total ?? 0, byReason: cp?.skipped.byReason ?? {} },
    itemErrors,
    // errors of a shard that has since been merged (a retry that succeeded) are history, not news
    lastErrors: lastErrors.filter((e) => !mergeDone.has(e.shard)),
    listed: cp !== null,
    // The manifest is written just after the last merge marker; a round is finished only once it is there.
    finished:
      cp !== null &&
      merge.done + failed.length >= shards &&
      (await storage.exists(layout.manifest(k.collection, k.round))),
  };
}

import type { Logger } from 'pino';
import type { DoneMarker, StepStats } from '../../schemas/done-marker.ts';
import type { RoundPlan } from '../../schemas/round-plan.ts';
import { layout } from '../layout.ts';
import type { WrittenShard } from '../shards/storage-io.ts';
import type { Storage } from '../storage/storage.ts';
import { findSpecialist, SPECIALISTS, type SpecialistDef } from './specialist-registry.ts';

/**
 * The pipeline as data (docs/architecture.md, "The data path" and "The stage contract"): each stage has
 * a name, the queue a BullMQ executor sends it to, the stages whose outputs it reads, the key of its
 * done marker on a shard, and its work, which reads its inputs from storage, writes its outputs there
 * (one atomic put each) and returns what the marker records. The executors (local-executor.ts,
 * job-runner.ts, both through run-stage.ts) skip a stage whose marker exists and write the marker
 * after the work; they decide where and when a stage runs, never what it does.
 */

export interface StageContext {
  storage: Storage;
  collection: string;
  round: number;
  shard: number;
  plan: RoundPlan;
  log: Logger;
  /**
   * Called between mini-batches with the images done so far: the BullMQ executor extends the job's
   * lock and reports progress here; the in-process executor only logs.
   */
  heartbeat(done: number, total: number): Promise<void>;
}

/** One shard of one round: what a marker key is made of. */
export type ShardRef = Pick<StageContext, 'collection' | 'round' | 'shard'>;

/** What a stage's work did on a shard, for its done marker. */
export interface StageWork {
  /** Rows written per output, and what else the shard counts (images, prompts handed over). */
  counts: Record<string, number>;
  /** Stats per step of the stage (a model, a filter), keyed by step name. */
  stats: Record<string, StepStats>;
  /** The files it wrote. */
  files: NonNullable<DoneMarker['files']>;
}

/** A written shard as its done marker lists it. */
export const markerFile = (f: WrittenShard): StageWork['files'][number] => ({
  key: f.key,
  kind: f.kind,
  rows: f.rows,
  bytes: f.bytes,
  sha256: f.sha256,
});

/** What an executor returns for a stage: where its outputs and marker are (pointers, never rows). */
export interface StageOutput {
  stage: string;
  shard: number;
  /** Key of the done marker. */
  marker: string;
  /** The done marker's counts. */
  counts: Record<string, number>;
  /** True when the marker was already there and nothing ran (a re-run after a stall or a retry). */
  skipped: boolean;
}

/** A stage's place in the round graph: enough to add, follow and retry its jobs without loading a model. */
export interface StageNode {
  /** `annotate:<specialist>` or `merge`. */
  name: string;
  /** BullMQ queue, without the prefix (`fld.ocr`). */
  queue: string;
  needs: string[];
}

export interface Stage extends StageNode {
  /** Key of its done marker on a shard; deterministic, so every executor and every retry finds it. */
  marker(at: ShardRef): string;
  /**
   * The work on one shard. It neither reads nor writes its own marker (the executor does, run-stage.ts),
   * so a run cut short leaves no marker and the next run does the whole shard again.
   */
  work(ctx: StageContext): Promise<StageWork>;
}

/** The done marker key of stage `name`: `round-R/_done/<stage>/shard-N.json`. */
export const shardMarker =
  (name: string) =>
  (at: ShardRef): string =>
    layout.done(at.collection, at.round, name, at.shard);

/** One specialist's place in the round graph (docs/architecture.md, "The data path"). */
export type SpecialistStageDef = Pick<SpecialistDef, 'specialist' | 'queue' | 'needs' | 'produces'>;

export const SPECIALIST_STAGES: readonly SpecialistStageDef[] = SPECIALISTS;
export const MERGE_QUEUE = 'fld.merge';
export const ALL_QUEUES = [...SPECIALIST_STAGES.map((s) => s.queue), MERGE_QUEUE];

export const annotateStage = (specialist: string) => `annotate:${specialist}`;

export const annotateNode = (def: SpecialistStageDef): StageNode => ({
  name: annotateStage(def.specialist),
  queue: def.queue,
  needs: def.needs.map(annotateStage),
});

/** Merge reads every annotate stage of the round. */
export const mergeNode = (defs: readonly SpecialistStageDef[]): StageNode => ({
  name: 'merge',
  queue: MERGE_QUEUE,
  needs: defs.map((d) => annotateStage(d.specialist)),
});

export function specialistDef(name: string): SpecialistStageDef {
  const d = findSpecialist(name);
  if (!d)
    throw new Error(
      `specialist "${name}": no such stage (known: ${SPECIALIST_STAGES.map((s) => s.specialist).join(', ')})`,
    );
  return d;
}

/**
 * The specialists a round uses, in graph order, checked: each one's inputs must be configured too
 * (a region captioner without a detector has nothing to caption).
 */
export function roundSpecialists(configured: readonly string[]): SpecialistStageDef[] {
  for (const name of configured) specialistDef(name);
  const used = SPECIALIST_STAGES.filter((d) => configured.includes(d.specialist));
  for (const d of used) {
    for (const n of d.needs) {
      if (!configured.includes(n))
        throw new Error(
          `specialist "${d.specialist}" reads the output of "${n}", which is not configured (add specialists.${n} or remove specialists.${d.specialist})`,
        );
    }
  }
  return used;
}

/** Stages in dependency order: every stage after the stages it needs; merge last. */
export function topoOrder<S extends StageNode>(stages: readonly S[]): S[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const out: S[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: S, path: string[]) => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting') throw new Error(`stage graph has a cycle: ${[...path, s.name].join(' -> ')}`);
    state.set(s.name, 'visiting');
    for (const n of s.needs) {
      const dep = byName.get(n);
      if (!dep) throw new Error(`stage ${s.name} needs ${n}, which is not in the round`);
      visit(dep, [...path, s.name]);
    }
    state.set(s.name, 'done');
    out.push(s);
  };
  for (const s of stages) visit(s, []);
  return out;
}

/**
 * The round's graph from its plan, in dependency order (merge last): one `annotate:<specialist>` per
 * specialist the plan names, then `merge`. The same order as round-stages.ts's runnable stages.
 */
export function roundGraph(plan: RoundPlan): StageNode[] {
  const defs = roundSpecialists(Object.keys(plan.specialists));
  return topoOrder([...defs.map(annotateNode), mergeNode(defs)]);
}

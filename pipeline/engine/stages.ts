import type { Logger } from 'pino';
import type { RecordKind } from '../../schemas/records.ts';
import type { Storage } from '../storage/storage.ts';
import type { RoundPlan } from '../../schemas/round-plan.ts';

/**
 * The pipeline as data (docs/architecture.md, "The data path" and "The stage contract"): each stage has a name, the queue a BullMQ
 * executor sends it to, the stages whose outputs it reads, and `run(ctx)`, which reads its inputs
 * from storage, writes its outputs there idempotently (done marker last) and returns pointers only.
 * Executors (local-executor.ts, the BullMQ flows) decide where and when a stage runs, never what it does.
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

/** What a stage returns: where its outputs and marker are (pointers, never rows). */
export interface StageOutput {
  stage: string;
  shard: number;
  /** Key of the done marker. */
  marker: string;
  /** Rows written per output. */
  counts: Record<string, number>;
  /** True when the marker was already there and nothing ran (a re-run after a stall or a retry). */
  skipped: boolean;
}

export interface Stage {
  /** `annotate:<specialist>` or `merge`. */
  name: string;
  /** BullMQ queue, without the prefix (`fld.ocr`). */
  queue: string;
  needs: string[];
  run(ctx: StageContext): Promise<StageOutput>;
}

/** One specialist's place in the round graph (docs/architecture.md, "The data path"). */
export interface SpecialistStageDef {
  specialist: string;
  queue: string;
  /** Specialists whose raw output this one reads (the region captioner reads the detector's boxes). */
  needs: string[];
  /** The record kind of its raw output. */
  produces: Exclude<RecordKind, 'image' | 'errors'>;
}

export const SPECIALIST_STAGES: readonly SpecialistStageDef[] = [
  { specialist: 'detector', queue: 'fld.detect', needs: [], produces: 'region_text' },
  { specialist: 'region_caption', queue: 'fld.regioncap', needs: ['detector'], produces: 'region_text' },
  { specialist: 'ocr', queue: 'fld.ocr', needs: [], produces: 'region_text' },
  { specialist: 'captioner', queue: 'fld.caption', needs: [], produces: 'text' },
  { specialist: 'grounding', queue: 'fld.ground', needs: ['captioner'], produces: 'text_phrase_region' },
];
export const MERGE_QUEUE = 'fld.merge';
export const ALL_QUEUES = [...SPECIALIST_STAGES.map((s) => s.queue), MERGE_QUEUE];

export const annotateStage = (specialist: string) => `annotate:${specialist}`;

export function specialistDef(name: string): SpecialistStageDef {
  const d = SPECIALIST_STAGES.find((s) => s.specialist === name);
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
export function topoOrder(stages: readonly Stage[]): Stage[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const out: Stage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: Stage, path: string[]) => {
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

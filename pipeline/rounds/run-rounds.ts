import type { Storage } from '../storage/storage.ts';
import { layout } from '../layout.ts';
import { detectorModelName, modelName } from '../train/names.ts';

/** One step of the data engine's loop. */
export type RoundsStep =
  | { kind: 'round0'; round: 0 }
  | { kind: 'train'; round: number }
  | { kind: 'refine'; round: number };

/**
 * The loop of the paper's data engine (section 4.2) for K refinement rounds: round 0 (specialists,
 * filters), then K times: train on round r (`fld train`), and refine round r+1 with that model
 * (`fld refine`: the model re-annotates, merged with round r and filtered).
 */
export function roundsSteps(rounds: number): RoundsStep[] {
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`--rounds must be an integer >= 0, got ${rounds}`);
  const steps: RoundsStep[] = [{ kind: 'round0', round: 0 }];
  for (let r = 0; r < rounds; r++) steps.push({ kind: 'train', round: r }, { kind: 'refine', round: r + 1 });
  return steps;
}

export const stepName = (s: RoundsStep, collection: string): string =>
  s.kind === 'round0'
    ? 'round 0 (specialists, filters, merge)'
    : s.kind === 'train'
      ? `train on round ${s.round} -> ${modelName(collection, s.round)}`
      : `refine round ${s.round} with ${modelName(collection, s.round - 1)}`;

/**
 * How each step runs: in this process (local-steps.ts) or through Redis and `fld worker` processes
 * (worker-steps.ts). Each call returns once its step is done (round manifest written, model
 * registered) and throws when it cannot be.
 */
export interface RoundsExecutor {
  round0(): Promise<void>;
  /** Trains on `round` from `init` (null: from scratch); `resumed`: its done marker was there, nothing ran. */
  train(round: number, init: string | null): Promise<{ resumed: boolean }>;
  /** Refines `round` with the model `model` (a registered name). */
  refine(round: number, model: string): Promise<void>;
  /** Config `refine.retrain` has `detector`: retrains the detector on `round`'s accepted labels (`<C>-detector-round-<R>`). */
  trainDetector?(round: number): Promise<{ resumed: boolean }>;
  /**
   * The verified collection (config `verified`), when there is one: each of its rounds runs before the
   * same round of the collection, since its merge decides the thresholds and gates every other merge
   * of that round reads (docs/architecture.md, "Calibration and acceptance gates").
   */
  verified?: { collection: string; round0(): Promise<void>; refine(round: number, model: string): Promise<void> };
}

export interface RunRoundsOptions {
  storage: Storage;
  collection: string;
  rounds: number;
  /** Starting model of the first training (later ones start from the previous round's model); null: from scratch. */
  init?: string | null;
  executor: RoundsExecutor;
  say: (line: string) => void;
}

export interface StepResult {
  step: RoundsStep;
  name: string;
  /** True when the step's done marker was there and nothing ran. */
  skipped: boolean;
  seconds: number;
}

/**
 * Runs the loop, resumable at any step: each step is skipped when its done marker is there (round 0
 * and refined rounds: the round manifest; training: `_train.json` with its model still registered,
 * checked by the training stage itself), and a step cut off halfway resumes from its own per-shard
 * done markers (in process) or from the queue state and done markers (on the workers).
 */
export async function runRounds(o: RunRoundsOptions): Promise<StepResult[]> {
  const c = o.collection;
  const out: StepResult[] = [];
  for (const step of roundsSteps(o.rounds)) {
    const name = stepName(step, c);
    const t0 = performance.now();
    let skipped = false;
    if (step.kind === 'train') {
      skipped = (await o.executor.train(step.round, step.round === 0 ? (o.init ?? null) : modelName(c, step.round - 1)))
        .resumed;
      if (o.executor.trainDetector) {
        const td = performance.now();
        const r = await o.executor.trainDetector(step.round);
        o.say(
          `  ${r.resumed ? 'done before' : 'done'}: detector retrained on round ${step.round} -> ${detectorModelName(c, step.round)}${r.resumed ? '' : ` (${((performance.now() - td) / 1000).toFixed(1)} s)`}`,
        );
        skipped &&= r.resumed;
      }
    } else if (await o.storage.exists(layout.manifest(c, step.round))) skipped = true;
    else {
      const v = o.executor.verified;
      if (v && !(await o.storage.exists(layout.manifest(v.collection, step.round)))) {
        const tv = performance.now();
        if (step.kind === 'round0') await v.round0();
        else await v.refine(step.round, modelName(c, step.round - 1));
        o.say(
          `  verified set ${v.collection} round ${step.round}: thresholds and gates decided (${((performance.now() - tv) / 1000).toFixed(1)} s)`,
        );
      }
      if (step.kind === 'round0') await o.executor.round0();
      else await o.executor.refine(step.round, modelName(c, step.round - 1));
    }
    const seconds = (performance.now() - t0) / 1000;
    o.say(`${skipped ? 'done before' : 'done'}: ${name}${skipped ? '' : ` (${seconds.toFixed(1)} s)`}`);
    out.push({ step, name, skipped, seconds });
  }
  return out;
}

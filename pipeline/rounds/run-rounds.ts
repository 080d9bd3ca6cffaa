import type { EngineConfig } from '../../schemas/config.ts';
import { runRefineRoundLocal } from '../engine/refine-round.ts';
import type { Services } from '../engine/services.ts';
import { runSourceRoundLocal } from '../engine/source-round-local.ts';
import { layout } from '../layout.ts';
import type { Source } from '../sources/types.ts';
import { modelName, trainRound, type TrainRoundOptions } from '../train/train-round.ts';

/** One step of the data engine's loop. */
export type RoundsStep = { kind: 'round0'; round: 0 } | { kind: 'train'; round: number } | { kind: 'refine'; round: number };

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
  s.kind === 'round0' ? 'round 0 (specialists, filters, merge)' : s.kind === 'train' ? `train on round ${s.round} -> ${modelName(collection, s.round)}` : `refine round ${s.round} with ${modelName(collection, s.round - 1)}`;

export interface RunRoundsOptions {
  config: EngineConfig;
  services: Services;
  /** The collection's source, opened only if round 0 still has to list it. */
  source: () => Source;
  collection: string;
  rounds: number;
  registry: string;
  /** Starting model of the first training (later ones start from the previous round's model); null: from scratch. */
  init?: string | null;
  trainSteps?: number | null;
  trainTimeoutS?: number;
  onTrainLine?: TrainRoundOptions['onLine'];
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
 * Runs the loop in this process, resumable at any step: each step is skipped when its done marker is
 * there (round 0 and refined rounds: the round manifest; training: `_train.json` with its model still
 * registered), and a step cut off halfway resumes from its own per-shard done markers.
 */
export async function runRounds(o: RunRoundsOptions): Promise<StepResult[]> {
  const { storage } = o.services;
  const c = o.collection;
  const out: StepResult[] = [];
  for (const step of roundsSteps(o.rounds)) {
    const name = stepName(step, c);
    const t0 = performance.now();
    let skipped = false;
    if (step.kind === 'round0') {
      if (await storage.exists(layout.manifest(c, 0))) skipped = true;
      else {
        const r = await runSourceRoundLocal(o.services, o.config, o.source, c, 0, (s) => o.say(`  round 0: shard ${s} done`));
        if (!r.manifest) throw new Error(`round 0 of ${c}: not every shard finished; run again to resume`);
      }
    } else if (step.kind === 'train') {
      const r = await trainRound({
        config: o.config,
        storage,
        collection: c,
        round: step.round,
        registry: o.registry,
        init: step.round === 0 ? (o.init ?? null) : modelName(c, step.round - 1),
        steps: o.trainSteps ?? null,
        timeoutS: o.trainTimeoutS,
        onLine: o.onTrainLine,
        onStage: (m) => o.say(`  train: ${m}`),
      });
      skipped = r.resumed;
    } else {
      if (await storage.exists(layout.manifest(c, step.round))) skipped = true;
      else {
        const r = await runRefineRoundLocal(o.services, o.config, c, step.round, { model: modelName(c, step.round - 1), registry: o.registry, onShard: (s) => o.say(`  round ${step.round}: shard ${s} done`) });
        for (const s of r.skipped) o.say(`  not run: ${s}`);
        if (!r.manifest) throw new Error(`round ${step.round} of ${c}: not every shard finished; run again to resume`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    o.say(`${skipped ? 'done before' : 'done'}: ${name}${skipped ? '' : ` (${seconds.toFixed(1)} s)`}`);
    out.push({ step, name, skipped, seconds });
  }
  return out;
}

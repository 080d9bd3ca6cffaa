import type { EngineConfig } from '../../schemas/config.ts';
import { runRefineRoundLocal } from '../engine/refine-round.ts';
import type { Services } from '../engine/services.ts';
import { runSourceRoundLocal } from '../engine/source-round-local.ts';
import type { Source } from '../sources/types.ts';
import { trainRound, type TrainRoundOptions } from '../train/train-round.ts';
import type { RoundsExecutor } from './run-rounds.ts';

export interface LocalStepsOptions {
  config: EngineConfig;
  services: Services;
  /** The collection's source, opened only if round 0 still has to list it. */
  source: () => Source;
  collection: string;
  registry: string;
  trainSteps?: number | null;
  trainTimeoutS?: number;
  onTrainLine?: TrainRoundOptions['onLine'];
  say: (line: string) => void;
}

/** The loop's steps in this process (`fld run --rounds K`): the code of `fld run`, `fld train --local` and `fld refine --local`. */
export function localSteps(o: LocalStepsOptions): RoundsExecutor {
  const c = o.collection;
  return {
    async round0() {
      const r = await runSourceRoundLocal(o.services, o.config, o.source, c, 0, (s) => o.say(`  round 0: shard ${s} done`));
      if (!r.manifest) throw new Error(`round 0 of ${c}: not every shard finished; run again to resume`);
    },
    async train(round, init) {
      return trainRound({
        config: o.config, storage: o.services.storage, collection: c, round, registry: o.registry, init,
        steps: o.trainSteps ?? null, timeoutS: o.trainTimeoutS, onLine: o.onTrainLine, onStage: (m) => o.say(`  train: ${m}`),
      });
    },
    async refine(round, model) {
      const r = await runRefineRoundLocal(o.services, o.config, c, round, { model, registry: o.registry, onShard: (s) => o.say(`  round ${round}: shard ${s} done`) });
      for (const s of r.skipped) o.say(`  not run: ${s}`);
      if (!r.manifest) throw new Error(`round ${round} of ${c}: not every shard finished; run again to resume`);
    },
  };
}

import type { EngineConfig } from '../../schemas/config.ts';
import { runRefineRoundLocal } from '../engine/refine-round.ts';
import type { Services } from '../engine/services.ts';
import { runSourceRoundLocal } from '../engine/source-round-local.ts';
import type { Source } from '../sources/types.ts';
import { detectorModelName } from '../train/names.ts';
import { trainDetectorRound, trainRound, type TrainRoundOptions } from '../train/train-round.ts';
import type { RoundsExecutor } from './run-rounds.ts';

export interface LocalStepsOptions {
  config: EngineConfig;
  services: Services;
  /** The collection's source, opened only if round 0 still has to list it. */
  source: () => Source;
  /** The verified collection's source (config `verified.source`), opened only if its round 0 still has to list it. */
  verifiedSource?: () => Source;
  collection: string;
  registry: string;
  trainSteps?: number | null;
  /** Steps of each detector retraining (config refine.retrain); null: the trainer's default. */
  detectorSteps?: number | null;
  trainTimeoutS?: number;
  onTrainLine?: TrainRoundOptions['onLine'];
  say: (line: string) => void;
}

/** The loop's steps in this process (`fld run --rounds K`): the code of `fld run`, `fld train --local` and `fld refine --local`. */
export function localSteps(o: LocalStepsOptions): RoundsExecutor {
  const c = o.collection;
  const v = o.config.verified.collection;
  const retrain = o.config.refine.retrain.includes('detector');
  // the verified set runs the detector retrained on the collection, not one of its own
  const retrainedDetector = (round: number) => (retrain ? { detector: detectorModelName(c, round - 1) } : {});
  const verifiedSource = o.verifiedSource;
  return {
    ...(v && verifiedSource
      ? {
          verified: {
            collection: v,
            async round0() {
              const r = await runSourceRoundLocal(o.services, o.config, verifiedSource, v, 0);
              if (!r.manifest)
                throw new Error(`round 0 of the verified collection ${v}: not finished; run again to resume`);
            },
            async refine(round: number, model: string) {
              const r = await runRefineRoundLocal(o.services, o.config, v, round, {
                model,
                registry: o.registry,
                ...retrainedDetector(round),
              });
              if (!r.manifest)
                throw new Error(`round ${round} of the verified collection ${v}: not finished; run again to resume`);
            },
          },
        }
      : {}),
    async round0() {
      const r = await runSourceRoundLocal(o.services, o.config, o.source, c, 0, (s) =>
        o.say(`  round 0: shard ${s} done`),
      );
      if (!r.manifest) throw new Error(`round 0 of ${c}: not every shard finished; run again to resume`);
    },
    async train(round, init) {
      return trainRound({
        config: o.config,
        storage: o.services.storage,
        collection: c,
        round,
        registry: o.registry,
        init,
        steps: o.trainSteps ?? null,
        timeoutS: o.trainTimeoutS,
        onLine: o.onTrainLine,
        onStage: (m) => o.say(`  train: ${m}`),
      });
    },
    ...(retrain
      ? {
          async trainDetector(round: number) {
            return trainDetectorRound({
              config: o.config,
              storage: o.services.storage,
              collection: c,
              round,
              registry: o.registry,
              init: null,
              steps: o.detectorSteps ?? null,
              timeoutS: o.trainTimeoutS,
              onLine: o.onTrainLine,
              onStage: (m) => o.say(`  train detector: ${m}`),
            });
          },
        }
      : {}),
    async refine(round, model) {
      const r = await runRefineRoundLocal(o.services, o.config, c, round, {
        model,
        registry: o.registry,
        onShard: (s) => o.say(`  round ${round}: shard ${s} done`),
      });
      for (const s of r.skipped) o.say(`  not run: ${s}`);
      if (!r.manifest) throw new Error(`round ${round} of ${c}: not every shard finished; run again to resume`);
    },
  };
}

import type { EngineConfig } from '../../schemas/config.ts';
import { waitForRound } from '../engine/round-progress.ts';
import { enqueueRound, roundPlanFor } from '../engine/enqueue.ts';
import { enqueueRefineRound } from '../engine/refine-round.ts';
import type { RoundQueue } from '../engine/round-queue.ts';
import { detectorModelName } from '../train/names.ts';
import type { Source } from '../sources/types.ts';
import { runTrainJob, TRAIN_QUEUE, type TrainProgress } from '../train/train-job.ts';
import type { RoundsExecutor } from './run-rounds.ts';

export interface WorkerStepsOptions {
  config: EngineConfig;
  /** The round queue on the configured Redis (openEngine). */
  q: RoundQueue;
  source: () => Source;
  /** The verified collection's source (config `verified.source`), opened only if its round 0 still has to list it. */
  verifiedSource?: () => Source;
  collection: string;
  /** Absolute: the train worker registers there and the refine plan names the model's folder in it. */
  registry: string;
  trainSteps?: number | null;
  /** Steps of each detector retraining (config refine.retrain); null: the trainer's default. */
  detectorSteps?: number | null;
  trainTimeoutS?: number | null;
  onTrainProgress?: (p: TrainProgress) => void;
  say: (line: string) => void;
  /** Draw live bars while a round runs (a terminal); otherwise a line per change. */
  tty?: boolean;
  pollMs?: number;
}

const short = (queue: string) => queue.replace(/^fld\./, '');

/**
 * The loop's steps through Redis and `fld worker` processes the user started (`fld run --rounds K
 * --workers`): round 0 queued as `fld enqueue` queues it, each training a job on `fld.train` as
 * `fld train` adds it, each refinement round queued as `fld refine` queues it; every round followed to
 * its manifest. All three are idempotent (deterministic job ids, shards registered once, the saved
 * round plan reused, a running training joined), so after a kill of this process a re-run picks up the
 * jobs still on the workers, and after a kill of a worker the job stalls and runs again elsewhere.
 */
export function workerSteps(o: WorkerStepsOptions): RoundsExecutor {
  const c = o.collection;
  const follow = async (round: number, collection = c) => {
    const queues = [...new Set((await o.q.stages({ collection, round })).map((s) => short(s.queue)))];
    o.say(
      `  round ${round}${collection === c ? '' : ` of ${collection}`} runs on workers serving: ${queues.join(', ')}`,
    );
    const s = await waitForRound(
      o.q,
      { collection, round },
      { tty: o.tty ?? false, say: (l) => o.say(`  ${l}`), pollMs: o.pollMs },
    );
    if (s.shards.failed)
      throw new Error(
        `round ${round} of ${collection}: ${s.shards.failed} shard(s) failed for good (fld status --collection ${collection} --round ${round}; fld retry, then run again)`,
      );
  };
  const v = o.config.verified.collection;
  const verifiedSource = o.verifiedSource;
  const retrain = o.config.refine.retrain.includes('detector');
  // the verified set runs the detector retrained on the collection, not one of its own
  const retrainedDetector = (round: number) => (retrain ? { detector: detectorModelName(c, round - 1) } : {});
  return {
    ...(v && verifiedSource
      ? {
          verified: {
            collection: v,
            async round0() {
              const plan = await roundPlanFor(o.q.storage, v, 0, o.config);
              await enqueueRound(o.q, plan, verifiedSource(), {
                shardSize: o.config.shardSize,
                readSize: true,
                onProblem: (p) => o.say(`  skipped (verified set): ${p.message}`),
              });
              await follow(0, v);
            },
            async refine(round: number, model: string) {
              await enqueueRefineRound(o.q, o.config, v, round, {
                model,
                registry: o.registry,
                ...retrainedDetector(round),
              });
              await follow(round, v);
            },
          },
        }
      : {}),
    async round0() {
      const plan = await roundPlanFor(o.q.storage, c, 0, o.config);
      const r = await enqueueRound(o.q, plan, o.source(), {
        shardSize: o.config.shardSize,
        readSize: true,
        onProblem: (p) => o.say(`  skipped: ${p.message}`),
      });
      o.say(
        `  round 0: ${r.shards.length} shards (${r.images} images), ${r.registered} newly queued, ${r.alreadyDone} already done`,
      );
      await follow(0);
    },
    async train(round, init) {
      const r = await runTrainJob(
        o.q.redis,
        o.config.queuePrefix,
        {
          collection: c,
          round,
          registry: o.registry,
          init,
          steps: o.trainSteps ?? null,
          timeoutS: o.trainTimeoutS ?? null,
        },
        o.onTrainProgress,
        (state) => o.say(`  train: ${state}; waiting for a worker (fld worker --queues ${short(TRAIN_QUEUE)})`),
      );
      return { resumed: r.resumed };
    },
    ...(retrain
      ? {
          async trainDetector(round: number) {
            const r = await runTrainJob(
              o.q.redis,
              o.config.queuePrefix,
              {
                collection: c,
                round,
                family: 'detector',
                registry: o.registry,
                init: null,
                steps: o.detectorSteps ?? null,
                timeoutS: o.trainTimeoutS ?? null,
              },
              o.onTrainProgress,
              (state) =>
                o.say(`  train detector: ${state}; waiting for a worker (fld worker --queues ${short(TRAIN_QUEUE)})`),
            );
            return { resumed: r.resumed };
          },
        }
      : {}),
    async refine(round, model) {
      const r = await enqueueRefineRound(o.q, o.config, c, round, { model, registry: o.registry });
      for (const s of r.skipped) o.say(`  not run: ${s}`);
      o.say(
        `  round ${round}: ${r.summary.shards.length} shards, ${r.summary.registered} newly queued, ${r.summary.alreadyDone} already done (model ${r.plan.refine!.model})`,
      );
      await follow(round);
    },
  };
}

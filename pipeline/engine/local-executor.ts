import type { RoundPlan } from '../../schemas/round-plan.ts';
import { roundStages } from './round-stages.ts';
import { runStage } from './run-stage.ts';
import type { Services } from './services.ts';
import type { StageOutput } from './stages.ts';

/**
 * The in-process executor: every stage of the round on every shard, in dependency order, in this
 * process (tests, benchmarks, `fld run --local`). Runs the same Stage objects as the BullMQ workers,
 * through the same marker check (run-stage.ts).
 */
export async function runRoundLocal(
  plan: RoundPlan,
  shards: readonly number[],
  services: Services,
  onShard?: (shard: number, outputs: StageOutput[]) => void,
): Promise<Map<number, StageOutput[]>> {
  const stages = roundStages(plan, services);
  const results = new Map<number, StageOutput[]>();
  for (const shard of shards) {
    const outputs: StageOutput[] = [];
    for (const stage of stages) {
      outputs.push(
        await runStage(stage, {
          storage: services.storage,
          collection: plan.collection,
          round: plan.round,
          shard,
          plan,
          log: services.log,
          heartbeat: async () => {},
        }),
      );
    }
    results.set(shard, outputs);
    onShard?.(shard, outputs);
  }
  return results;
}

import type { RoundPlan } from '../../schemas/round-plan.ts';
import { makeAnnotateStage } from './annotate-stage.ts';
import { makeMergeStage } from './merge-stage.ts';
import type { Services } from './services.ts';
import { roundSpecialists, topoOrder, type Stage } from './stages.ts';

/**
 * The stages of a round, in dependency order (merge last): one `annotate:<specialist>` per
 * specialist the plan names, then `merge`. A round with no specialist is merge alone (pre-existing
 * annotations through the filters).
 */
export function roundStages(plan: RoundPlan, services: Services): Stage[] {
  const defs = roundSpecialists(Object.keys(plan.specialists));
  return topoOrder([...defs.map((d) => makeAnnotateStage(d, services)), makeMergeStage(defs.map((d) => d.specialist))]);
}

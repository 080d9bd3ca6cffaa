import type { RoundPlan } from '../../schemas/round-plan.ts';
import { makeAnnotateStage } from './annotate-stage.ts';
import { makeMergeStage } from './merge-stage.ts';
import type { Services } from './services.ts';
import { roundSpecialists, topoOrder, type Stage } from './stages.ts';

/**
 * The runnable stages of a round, with this process's services: the nodes of `roundGraph(plan)`
 * (stages.ts), in the same order, each with its marker key and its work. A round with no specialist
 * is merge alone (pre-existing annotations through the filters).
 */
export function roundStages(plan: RoundPlan, services: Services): Stage[] {
  const defs = roundSpecialists(Object.keys(plan.specialists));
  return topoOrder([...defs.map((d) => makeAnnotateStage(d, services)), makeMergeStage(defs)]);
}

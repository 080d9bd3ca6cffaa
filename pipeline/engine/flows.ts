import type { FlowChildJob, FlowJob } from 'bullmq';
import { jobId, type ShardJob } from '../../schemas/jobs.ts';
import { jobOptions, type JobPolicy } from './policy.ts';
import type { StageNode } from './stages.ts';

/**
 * One shard's flow (docs/architecture.md, "The data path"): merge is the parent; a stage that another annotate stage
 * reads (detector -> region captioner, captioner -> grounding) is that stage's child, every other
 * annotate stage is merge's child. BullMQ runs a parent after all its children, so the tree is the
 * dependency order. Job ids are deterministic, so adding a flow twice adds nothing.
 */
export function shardFlow(
  stages: readonly StageNode[],
  job: Omit<ShardJob, 'stage'>,
  prefix: string,
  policy: JobPolicy,
): FlowJob {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const merge = byName.get('merge');
  if (!merge) throw new Error('a round needs a merge stage');
  // consumer of each stage other than merge; a stage read by two annotate stages cannot be one tree
  const consumer = new Map<string, string>();
  for (const s of stages) {
    if (s.name === 'merge') continue;
    for (const n of s.needs) {
      if (consumer.has(n)) throw new Error(`stage ${n} is read by ${consumer.get(n)} and ${s.name}; a flow is a tree`);
      consumer.set(n, s.name);
    }
  }
  const node = (s: StageNode): FlowChildJob => {
    const data: ShardJob = { ...job, stage: s.name };
    const children = stages
      .filter(
        (x) => x.name !== 'merge' && (s.name === 'merge' ? !consumer.has(x.name) : consumer.get(x.name) === s.name),
      )
      .map(node);
    return {
      name: s.name,
      queueName: s.queue,
      prefix,
      data,
      opts: { ...jobOptions(policy, s.name !== 'merge'), jobId: jobId(data) },
      ...(children.length ? { children } : {}),
    };
  };
  return node(merge) as FlowJob;
}

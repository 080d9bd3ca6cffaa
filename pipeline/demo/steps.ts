import { join } from 'node:path';
import { REFINE_TASK_SLOTS } from '../../schemas/refine-config.ts';
import { MERGE_QUEUE, roundSpecialists } from '../engine/stages.ts';
import { REPO_ROOT } from '../train/train-round.ts';

/** One step of the demo: an `fld` command as a user would type it, or the demo's own work around the workers. */
export type DemoStep =
  | { kind: 'fld'; name: string; args: string[] }
  | { kind: 'workers'; name: string; queues: string[][] }
  | { kind: 'wait'; name: string; collection: string; round: number }
  | { kind: 'stop-workers'; name: string }
  | { kind: 'quality'; name: string; collection: string; rounds: number[] }
  | { kind: 'acceptance'; name: string; collection: string; round: number };

export interface DemoOptions {
  out: string;
  images: number;
  seed: number;
  /** Queue prefix of this run (a hash tag), so runs on a shared Redis never share jobs. */
  queuePrefix: string;
  /** Refinement rounds after round 0 (train on round r, refine round r+1). */
  rounds: number;
  /** Training steps per round. */
  trainSteps: number;
}

export interface DemoPlan {
  /** The engine config the demo writes to `<out>/fld.config.json` (Redis comes from REDIS_URL). */
  config: Record<string, unknown>;
  configFile: string;
  report: string;
  world: string;
  verifiedWorld: string;
  data: string;
  registry: string;
  steps: DemoStep[];
}

export const DEMO_COLLECTION = 'demo';
/** The demo's verified set: a world of its own seed whose truth plays the human-checked labels. */
export const DEMO_VERIFIED = 'demo-verified';
export const DEMO_VERIFIED_IMAGES = 40;

/**
 * The reference trainer (docs/training-stage.md) on the demo's round: the captioner fine-tuned from the
 * committed demo captioner with its image side kept (`--detach-encoder`: from scratch, or with the
 * caption loss reaching the encoder, the model learns to ignore its image -- docs/decisions.md), one
 * thread (on shared cores one thread ran 0.7 s/step where two ran 6 s/step), no fp16 copies.
 */
export const DEMO_TRAIN_COMMAND = '/usr/bin/python3 -m training.train --export {export} --out {out} --init {init} --steps {steps} --batch 8 --no-fp16 --threads 1 --tasks <CAPTION> --detach-encoder';

/** Where the demo's first training starts: the committed demo captioner (`npm run train:world`). */
export const DEMO_CAPTIONER = join(REPO_ROOT, 'models', 'demo-florence2');

/**
 * Refinement in the demo: the trained model writes the captions; PaddleOCR reads the words again
 * (the paper's OCR is a service, never retrained), and the merge combines both with the round before.
 */
export const DEMO_REFINE = { tasks: ['<CAPTION>'], specialists: ['ocr'] };

/** The worker processes a round needs: one per specialist queue, one for the merge. */
export function workerQueues(specialists: Record<string, string>): string[][] {
  return [...roundSpecialists(Object.keys(specialists)).map((d) => [d.queue.replace(/^fld\./, '')]), [MERGE_QUEUE.replace(/^fld\./, '')]];
}

/**
 * The main job as data: draw a world with exact truth, start `fld worker` processes, queue round 0 with
 * `fld enqueue` and follow it to the end; then per refinement round train on round r (`fld train`, a
 * job on `fld.train`) and refine round r+1 with that model (`fld refine`, shards on the workers); then
 * stats + HTML report of the last round (what it changed against round 0) and the quality per round.
 */
export function demoPlan(o: DemoOptions): DemoPlan {
  const world = join(o.out, 'world');
  const verifiedWorld = join(o.out, 'verified-world');
  const verifiedManifest = join(verifiedWorld, 'collection', 'verified.jsonl');
  const data = join(o.out, 'data');
  const registry = join(o.out, 'models');
  const configFile = join(o.out, 'fld.config.json');
  const report = join(o.out, 'report.html');
  const specialists = { ocr: 'ppocr-v4' };
  const config = {
    storage: data, shardSize: 40, window: 4, queuePrefix: o.queuePrefix, specialists, jobs: { attempts: 2, backoffMs: 1000 },
    trainCommand: DEMO_TRAIN_COMMAND, refine: DEMO_REFINE,
    verified: { collection: DEMO_VERIFIED, source: verifiedManifest },
  };
  const v = DEMO_VERIFIED;
  const c = DEMO_COLLECTION;
  const round0 = workerQueues(specialists);
  // the training queue and the slots the model fills (its tasks'), started when round 0 is done so
  // that their start-up does not compete with round 0 for the cores
  const refineSlots = Object.fromEntries(DEMO_REFINE.tasks.map((t) => [REFINE_TASK_SLOTS[t]!, 'model']));
  const later = [...workerQueues({ ...specialists, ...refineSlots }).filter((q) => !round0.some((r) => r.join() === q.join())), ['train']];
  const steps: DemoStep[] = [
    { kind: 'fld', name: 'generate the demo world', args: ['world', 'generate', '--out', world, '--images', String(o.images), '--seed', String(o.seed)] },
    // a verified set of its own seed: never the demo's images
    { kind: 'fld', name: 'generate the verified world', args: ['world', 'generate', '--out', verifiedWorld, '--images', String(DEMO_VERIFIED_IMAGES), '--seed', String(o.seed + 1000)] },
    { kind: 'fld', name: 'make it the verified set', args: ['world', 'verified', '--world', verifiedWorld] },
    { kind: 'workers', name: 'start the workers', queues: round0 },
    { kind: 'fld', name: 'enqueue round 0 of the verified set', args: ['enqueue', verifiedManifest, '--collection', v, '--round', '0', '--config', configFile] },
    { kind: 'wait', name: 'verified round 0 on the workers (its merge calibrates the thresholds)', collection: v, round: 0 },
    { kind: 'fld', name: 'enqueue round 0', args: ['enqueue', join(world, 'collection', 'manifest.jsonl'), '--collection', c, '--round', '0', '--config', configFile] },
    { kind: 'wait', name: 'round 0 on the workers (OCR + alt-text, filters, merge)', collection: c, round: 0 },
  ];
  if (o.rounds > 0) steps.push({ kind: 'workers', name: 'start the training and refinement workers', queues: later });
  for (let r = 0; r < o.rounds; r++) {
    steps.push(
      { kind: 'fld', name: `train on round ${r} (a job on fld.train)`, args: ['train', '--collection', c, '--round', String(r), '--config', configFile, '--registry', registry, '--steps', String(o.trainSteps), '--init', r > 0 ? `${c}-round-${r - 1}` : DEMO_CAPTIONER] },
      { kind: 'fld', name: `enqueue refinement round ${r + 1} of the verified set`, args: ['refine', '--collection', v, '--round', String(r + 1), '--model', `${c}-round-${r}`, '--registry', registry, '--config', configFile] },
      { kind: 'wait', name: `verified round ${r + 1} on the workers (its merge decides the gates)`, collection: v, round: r + 1 },
      { kind: 'fld', name: `enqueue refinement round ${r + 1}`, args: ['refine', '--collection', c, '--round', String(r + 1), '--model', `${c}-round-${r}`, '--registry', registry, '--config', configFile] },
      { kind: 'wait', name: `round ${r + 1} on the workers (model ${c}-round-${r}, merge with round ${r}, filters, gates)`, collection: c, round: r + 1 },
      { kind: 'acceptance', name: `the gates of round ${r + 1} (what the verified set accepted)`, collection: c, round: r + 1 },
    );
  }
  const last = String(o.rounds);
  steps.push(
    { kind: 'stop-workers', name: 'stop the workers' },
    { kind: 'fld', name: 'stats + HTML report', args: ['stats', '--round', last, ...(o.rounds > 0 ? ['--diff', '0'] : []), '--root', data, '--collection', c, '--html', report] },
    { kind: 'quality', name: 'quality per round against the truth', collection: c, rounds: Array.from({ length: o.rounds + 1 }, (_, r) => r) },
  );
  return { config, configFile, report, world, verifiedWorld, data, registry, steps };
}

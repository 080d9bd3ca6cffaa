import { join } from 'node:path';
import { REFINE_TASK_SLOTS } from '../../schemas/refine-config.ts';
import { MERGE_QUEUE, roundSpecialists } from '../../pipeline/engine/stages.ts';
import { REPO_ROOT } from '../../pipeline/train/train-round.ts';

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
  /** Images of the verified set's world (default DEMO_VERIFIED_IMAGES). */
  verifiedImages?: number;
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
 * The Florence-2 tasks of the demo's refinement rounds: brief and detailed captions, boxes, region
 * descriptions. The model trained on round R runs them in round R+1; the verified set's gates decide
 * per kind and class whether its labels stand. Grounding is not among them: the small model cannot
 * place a phrase's boxes, so the detector grounds the round's new captions again (`DEMO_REFINE`).
 */
export const DEMO_TASKS = ['<CAPTION>', '<DETAILED_CAPTION>', '<OD>', '<REGION_TO_DESCRIPTION>'];

/**
 * The reference trainer (docs/training-stage.md) on the demo's round: the captioner fine-tuned from the
 * committed demo captioner on the demo's tasks, with the caption rows kept off its image side
 * (`--detach-encoder captions`: with the caption loss reaching the encoder, the model learns to ignore
 * its image -- docs/decisions.md), one thread (on shared cores one thread ran 0.7 s/step where two
 * ran 6 s/step), no fp16 copies.
 */
export const DEMO_TRAIN_COMMAND = `/usr/bin/python3 -m training.train --export {export} --out {out} --init {init} --steps {steps} --batch 8 --no-fp16 --threads 1 --tasks ${DEMO_TASKS.join(',')} --detach-encoder captions`;

/** Where the demo's first training starts: the committed demo captioner (`npm run train:world`). */
export const DEMO_CAPTIONER = join(REPO_ROOT, 'models', 'demo-florence2');
export const DEMO_DETECTOR = join(REPO_ROOT, 'models', 'demo-detector');

/**
 * Round 0 of the demo runs every specialist kind: the committed demo detector (boxes, and phrase
 * grounding by its class names), the demo Florence-2 as captioner and region captioner, and the
 * built-in PaddleOCR.
 */
export const DEMO_SPECIALISTS: Record<string, string> = {
  detector: DEMO_DETECTOR,
  captioner: DEMO_CAPTIONER,
  grounding: DEMO_DETECTOR,
  region_caption: DEMO_CAPTIONER,
  ocr: 'ppocr-v4',
};

/**
 * Refinement in the demo: the trained model runs the demo's tasks; PaddleOCR reads the words again
 * (the paper's OCR is a service, never retrained) and the detector grounds the model's new captions;
 * the merge combines all of it with the round before, and the gates judge it on the verified set.
 */
export const DEMO_REFINE = { tasks: DEMO_TASKS, specialists: ['ocr', 'grounding'] };

/** The worker processes a round needs: one per specialist queue, one for the merge. */
export function workerQueues(specialists: Record<string, string>): string[][] {
  return [
    ...roundSpecialists(Object.keys(specialists)).map((d) => [d.queue.replace(/^fld\./, '')]),
    [MERGE_QUEUE.replace(/^fld\./, '')],
  ];
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
  // the verified set and the collection are refined by the same model, the collection's round r
  const refineArgs = (collection: string, r: number): string[] => [
    'refine',
    '--collection',
    collection,
    '--round',
    String(r + 1),
    '--model',
    `${c}-round-${r}`,
    '--registry',
    registry,
    '--config',
    configFile,
  ];
  // ids (and so the export's split and task draws) from the images, not from where the demo's folder
  // is: the same world gives the same figures in any folder
  const enqueueRound0 = (manifest: string, collection: string): string[] => [
    'enqueue',
    manifest,
    '--collection',
    collection,
    '--round',
    '0',
    '--id-from',
    'bytes',
    '--config',
    configFile,
  ];
  const report = join(o.out, 'report.html');
  const specialists = DEMO_SPECIALISTS;
  const config = {
    storage: data,
    shardSize: 40,
    window: 4,
    queuePrefix: o.queuePrefix,
    specialists,
    jobs: { attempts: 2, backoffMs: 1000 },
    trainCommand: DEMO_TRAIN_COMMAND,
    refine: DEMO_REFINE,
    verified: { collection: DEMO_VERIFIED, source: verifiedManifest },
  };
  const v = DEMO_VERIFIED;
  const c = DEMO_COLLECTION;
  const round0 = workerQueues(specialists);
  // the training queue and the slots the model fills (its tasks'), started when round 0 is done so
  // that their start-up does not compete with round 0 for the cores
  const refineSlots = Object.fromEntries(DEMO_REFINE.tasks.map((t) => [REFINE_TASK_SLOTS[t]!, 'model']));
  const later = [
    ...workerQueues({ ...specialists, ...refineSlots }).filter((q) => !round0.some((r) => r.join() === q.join())),
    ['train'],
  ];
  const steps: DemoStep[] = [
    {
      kind: 'fld',
      name: 'generate the demo world',
      args: ['world', 'generate', '--out', world, '--images', String(o.images), '--seed', String(o.seed)],
    },
    // a verified set of its own seed: never the demo's images
    {
      kind: 'fld',
      name: 'generate the verified world',
      args: [
        'world',
        'generate',
        '--out',
        verifiedWorld,
        '--images',
        String(o.verifiedImages ?? DEMO_VERIFIED_IMAGES),
        '--seed',
        String(o.seed + 1000),
      ],
    },
    { kind: 'fld', name: 'make it the verified set', args: ['world', 'verified', '--world', verifiedWorld] },
    { kind: 'workers', name: 'start the workers', queues: round0 },
    {
      kind: 'fld',
      name: 'enqueue round 0 of the verified set',
      args: enqueueRound0(verifiedManifest, v),
    },
    {
      kind: 'wait',
      name: 'verified round 0 on the workers (its merge calibrates the thresholds)',
      collection: v,
      round: 0,
    },
    {
      kind: 'fld',
      name: 'enqueue round 0',
      args: enqueueRound0(join(world, 'collection', 'manifest.jsonl'), c),
    },
    {
      kind: 'wait',
      name: 'round 0 on the workers (detector, captioner, grounding, region captions, OCR; filters, merge)',
      collection: c,
      round: 0,
    },
  ];
  if (o.rounds > 0) steps.push({ kind: 'workers', name: 'start the training and refinement workers', queues: later });
  for (let r = 0; r < o.rounds; r++) {
    steps.push(
      {
        kind: 'fld',
        name: `train on round ${r} (a job on fld.train)`,
        args: [
          'train',
          '--collection',
          c,
          '--round',
          String(r),
          '--config',
          configFile,
          '--registry',
          registry,
          '--steps',
          String(o.trainSteps),
          '--init',
          r > 0 ? `${c}-round-${r - 1}` : DEMO_CAPTIONER,
        ],
      },
      {
        kind: 'fld',
        name: `enqueue refinement round ${r + 1} of the verified set`,
        args: refineArgs(v, r),
      },
      {
        kind: 'wait',
        name: `verified round ${r + 1} on the workers (its merge decides the gates)`,
        collection: v,
        round: r + 1,
      },
      {
        kind: 'fld',
        name: `enqueue refinement round ${r + 1}`,
        args: refineArgs(c, r),
      },
      {
        kind: 'wait',
        name: `round ${r + 1} on the workers (model ${c}-round-${r}, merge with round ${r}, filters, gates)`,
        collection: c,
        round: r + 1,
      },
      {
        kind: 'acceptance',
        name: `the gates of round ${r + 1} (what the verified set accepted)`,
        collection: c,
        round: r + 1,
      },
    );
  }
  const last = String(o.rounds);
  steps.push(
    { kind: 'stop-workers', name: 'stop the workers' },
    // scored first: each round's quality goes into its manifest, where the report reads it
    {
      kind: 'quality',
      name: 'quality per round against the truth (every kind)',
      collection: c,
      rounds: Array.from({ length: o.rounds + 1 }, (_, r) => r),
    },
    {
      kind: 'fld',
      name: 'stats + HTML report (with quality per round and the gates)',
      args: [
        'stats',
        '--round',
        last,
        ...(o.rounds > 0 ? ['--diff', '0'] : []),
        '--root',
        data,
        '--collection',
        c,
        '--html',
        report,
      ],
    },
  );
  return { config, configFile, report, world, verifiedWorld, data, registry, steps };
}

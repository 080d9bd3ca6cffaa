import { join } from 'node:path';
import { MERGE_QUEUE, roundSpecialists } from '../engine/stages.ts';

/** One step of the demo: an `fld` command as a user would type it, or the demo's own work around the workers. */
export type DemoStep =
  | { kind: 'fld'; name: string; args: string[] }
  | { kind: 'workers'; name: string; queues: string[][] }
  | { kind: 'wait'; name: string; collection: string; round: number }
  | { kind: 'stop-workers'; name: string };

export interface DemoOptions {
  out: string;
  images: number;
  seed: number;
  /** Queue prefix of this run (a hash tag), so runs on a shared Redis never share jobs. */
  queuePrefix: string;
}

export interface DemoPlan {
  /** The engine config the demo writes to `<out>/fld.config.json` (Redis comes from REDIS_URL). */
  config: Record<string, unknown>;
  configFile: string;
  report: string;
  steps: DemoStep[];
}

export const DEMO_COLLECTION = 'demo';

/** The worker processes a round needs: one per specialist queue, one for the merge. */
export function workerQueues(specialists: Record<string, string>): string[][] {
  return [...roundSpecialists(Object.keys(specialists)).map((d) => [d.queue.replace(/^fld\./, '')]), [MERGE_QUEUE.replace(/^fld\./, '')]];
}

/**
 * The main job as data: draw a world with exact truth, start `fld worker` processes for the round's
 * stages, queue round 0 with `fld enqueue` and follow it to the end, then stats + HTML report and the
 * quality against the truth. The refinement rounds (training, round 1) join this list as they land.
 */
export function demoPlan(o: DemoOptions): DemoPlan {
  const world = join(o.out, 'world');
  const data = join(o.out, 'data');
  const configFile = join(o.out, 'fld.config.json');
  const report = join(o.out, 'report.html');
  const specialists = { ocr: 'ppocr-v4' };
  const config = { storage: data, shardSize: 40, window: 4, queuePrefix: o.queuePrefix, specialists, jobs: { attempts: 2, backoffMs: 1000 } };
  const c = DEMO_COLLECTION;
  const steps: DemoStep[] = [
    { kind: 'fld', name: 'generate the demo world', args: ['world', 'generate', '--out', world, '--images', String(o.images), '--seed', String(o.seed)] },
    { kind: 'workers', name: 'start the workers', queues: workerQueues(specialists) },
    { kind: 'fld', name: 'enqueue round 0', args: ['enqueue', join(world, 'collection', 'manifest.jsonl'), '--collection', c, '--round', '0', '--config', configFile] },
    { kind: 'wait', name: 'round 0 on the workers (OCR + alt-text, filters, merge)', collection: c, round: 0 },
    { kind: 'stop-workers', name: 'stop the workers' },
    { kind: 'fld', name: 'stats + HTML report', args: ['stats', '--round', '0', '--root', data, '--collection', c, '--html', report] },
    { kind: 'fld', name: 'quality against the truth', args: ['world', 'score', '--world', world, '--labels', join(data, c, 'round-0'), '--images', join(data, c, 'images')] },
  ];
  return { config, configFile, report, steps };
}

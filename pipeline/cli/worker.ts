import type { Command } from 'commander';
import { registryDir } from '../../specialists/registry/registry.ts';
import { loadConfig } from '../config/load-config.ts';
import { wholeOption } from './whole-option.ts';

const num = (flag: string, v: string, min: number): number => wholeOption('worker', flag, v, min)!;

/** `fld worker --queues ... --concurrency N`: a BullMQ worker process (workers/worker-process.ts). */
export function register(program: Command): void {
  program
    .command('worker')
    .description('serve shard jobs from the given queues until SIGTERM (finishes the jobs in hand, then exits)')
    .requiredOption(
      '--queues <list>',
      'comma-separated: detect, regioncap, ocr, caption, ground, merge, train (or fld.<name>)',
    )
    .option('--concurrency <n>', 'jobs at once per queue', '1')
    .option('--lock-duration <ms>', 'job lock, renewed per mini-batch', '300000')
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', '30000')
    .option('--max-stalled-count <n>', 'stalls a job may have before it fails', '2')
    .option('--config <file>', 'config file')
    .option(
      '--registry <dir>',
      'model registry the train queue writes to; a train job may name no path outside it (default: $FLD_MODELS or .fld/models)',
    )
    .action(
      async (o: {
        queues: string;
        concurrency: string;
        lockDuration: string;
        stalledInterval: string;
        maxStalledCount: string;
        config?: string;
        registry?: string;
      }) => {
        // The CLI is the program's top: it may start a worker process, which pipeline code never imports.
        const { queueNames, runWorkerProcess } = await import('../../workers/worker-process.ts');
        // every flag is checked before the config is read or Redis is reached
        const concurrency = num('--concurrency', o.concurrency, 1);
        const policy = {
          lockDuration: num('--lock-duration', o.lockDuration, 1000),
          stalledInterval: num('--stalled-interval', o.stalledInterval, 100),
          maxStalledCount: num('--max-stalled-count', o.maxStalledCount, 0),
        };
        await runWorkerProcess(await loadConfig(o.config), {
          queues: queueNames(o.queues),
          concurrency,
          policy,
          registry: registryDir(o.registry),
        });
      },
    );
}

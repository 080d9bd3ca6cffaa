import type { Command } from 'commander';
import { registryDir } from '../../specialists/registry/registry.ts';
import { loadConfig } from '../config/load-config.ts';
import { TrainStageError } from '../train/train-errors.ts';
import { TRAIN_FAMILIES, type TrainFamily } from '../train/names.ts';
import type { TrainResult } from '../train/train-round.ts';
import { wholeOption } from './whole-option.ts';

/**
 * `fld train --collection C --round R`: the training stage of one round (docs/training-stage.md) as
 * one job on `fld.train`, served by `fld worker --queues train`, or in this process with `--local`.
 * Progress goes to stderr, the model name (or with --json one object) to stdout. Exit 2: bad input
 * (nothing trained); 1: the trainer failed, timed out or wrote a model that does not load.
 * `--family detector` trains the round's detector on its `<OD>` rows instead (self-training,
 * docs/refinement.md), registered as `<C>-detector-round-<R>`.
 */
interface Opts {
  collection: string;
  round: string;
  family: string;
  config?: string;
  registry?: string;
  init?: string;
  steps?: string;
  timeout?: string;
  local: boolean;
  json: boolean;
}

const whole = (flag: string, v: string | undefined, min: number) =>
  wholeOption('train', flag, v, min, (m) => new TrainStageError('bad-input', m));

/** One progress event -> one short line (the trainer's contract events; anything else as JSON). */
export function progressLine(p: Record<string, unknown>): string {
  const n = (v: unknown, d = 4) => (typeof v === 'number' ? Number(v.toFixed(d)) : v);
  switch (p.event) {
    case 'stage':
      return `train: ${p.message}`;
    case 'step':
      return `train: step ${p.step}/${p.steps} loss ${n(p.loss)}${p.elapsed_s !== undefined ? ` (${p.elapsed_s} s)` : ''}`;
    case 'eval':
      return `train: eval ${p.split ?? ''} ${Object.entries(p)
        .filter(([k, v]) => typeof v === 'number' && k !== 't')
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ')}`;
    case 'error':
      return `train: trainer error: ${p.message}`;
    default: {
      const { t: _t, ...rest } = p;
      return `train: ${JSON.stringify(rest)}`;
    }
  }
}

export function register(program: Command): void {
  program
    .command('train')
    .description(
      "the training stage: export round R, run the configured trainer, check and register its model as <collection>-round-<R> (--family detector: the round's detector, <collection>-detector-round-<R>)",
    )
    .requiredOption('--collection <name>', 'the collection')
    .requiredOption('--round <R>', 'the round whose annotations train the model')
    .option(
      '--family <family>',
      `what to train: florence2 (config trainCommand) or detector (the round's <OD> rows, config refine.trainCommands.detector)`,
      'florence2',
    )
    .option(
      '--config <file>',
      "config file: redis and queuePrefix (the worker's own config has trainCommand, export, storage); with --local all of them",
    )
    .option('--registry <dir>', 'model registry (default: $FLD_MODELS or .fld/models)')
    .option(
      '--init <model>',
      'starting model: a registered name or a model folder (default: florence2 from scratch; detector: the detector the round ran)',
    )
    .option('--steps <n>', "training steps, passed as {steps} (default: the trainer's own)")
    .option('--timeout <s>', 'kill the trainer (its process group) after this many seconds (default 21600)')
    .option('--local', 'run in this process instead of as a job on fld.train (same code, no Redis)', false)
    .option('--json', 'print {model, dir, seconds, metrics} as JSON', false)
    .action(async (o: Opts) => {
      if (!(TRAIN_FAMILIES as readonly string[]).includes(o.family))
        throw new TrainStageError(
          'bad-input',
          `train: --family must be one of ${TRAIN_FAMILIES.join(', ')}, got ${o.family}`,
        );
      const family = o.family as TrainFamily;
      const round = whole('--round', o.round, 0)!;
      const steps = whole('--steps', o.steps, 1) ?? null;
      const timeoutS = whole('--timeout', o.timeout, 1) ?? null;
      const config = await loadConfig(o.config).catch((e: Error) => {
        throw new TrainStageError('bad-input', e.message.split('\n')[0]);
      });
      const registry = registryDir(o.registry);
      const show = (p: Record<string, unknown>) => process.stderr.write(progressLine(p) + '\n');
      let r: TrainResult;
      if (o.local) {
        const { trainRound } = await import('../train/train-round.ts');
        r = await trainRound({
          config,
          collection: o.collection,
          round,
          family,
          registry,
          init: o.init ?? null,
          steps,
          timeoutS: timeoutS ?? undefined,
          onLine: (l) => {
            if (l.event) show(l.event);
            else if (l.line.trim()) process.stderr.write(`train: ${l.line}\n`);
          },
          onStage: (message) => {
            show({ event: 'stage', message });
          },
        });
      } else {
        const { connectRedis } = await import('../engine/redis.ts');
        const { runTrainJob } = await import('../train/train-job.ts');
        const redis = await connectRedis({ url: config.redis, ca: config.redisCa });
        try {
          r = await runTrainJob(
            redis,
            config.queuePrefix,
            { collection: o.collection, round, family, registry, init: o.init ?? null, steps, timeoutS },
            show,
            (state) => show({ event: 'stage', message: `${state}; waiting for a worker (fld worker --queues train)` }),
          );
        } finally {
          redis.disconnect();
        }
      }
      if (o.json)
        process.stdout.write(
          JSON.stringify({
            model: r.model,
            family: r.family,
            dir: r.dir,
            init: r.init,
            seconds: r.seconds,
            metrics: r.metrics,
            resumed: r.resumed,
          }) + '\n',
        );
      else {
        if (r.resumed) process.stderr.write(`train: already trained (${r.model}, ${r.dir}); nothing ran\n`);
        process.stdout.write(`${r.model}\n`);
      }
    });
}

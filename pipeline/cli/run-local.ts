import type { Command } from 'commander';
import { registryDir } from '../../specialists/registry/registry.ts';
import { loadConfig } from '../config/load-config.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openEngine, openServices } from '../engine/open-engine.ts';
import { discardUnlisted, isNewCollection } from '../engine/discard-collection.ts';
import { readCollectionPlan } from '../engine/plan-files.ts';
import { runSourceRoundLocal } from '../engine/source-round-local.ts';
import { layout } from '../layout.ts';
import { scoreRound } from '../../demo/quality/round-quality.ts';
import { formatQualityTable } from '../stats/quality-table.ts';
import type { Storage } from '../storage/storage.ts';
import { localSteps } from '../rounds/local-steps.ts';
import { runRounds, type RoundsExecutor } from '../rounds/run-rounds.ts';
import { workerSteps } from '../rounds/worker-steps.ts';
import { detectSource } from '../sources/detect.ts';
import { openStorage } from '../storage/open-storage.ts';
import { FailedImages, progressLine, skippedLines } from './run-report.ts';
import { ANNOTATIONS_ONLY, requireSpecialists, warnDemoModels } from './specialist-checks.ts';
import { progressLine as trainProgressLine } from './train.ts';
import { wholeOption } from './whole-option.ts';

interface Opts {
  collection: string;
  round: string;
  rounds?: string;
  registry?: string;
  init?: string;
  trainSteps?: string;
  detectorSteps?: string;
  trainTimeout?: string;
  world?: string;
  workers: boolean;
  allowOutside: boolean;
  annotationsOnly: boolean;
  config?: string;
}

/** Rounds side by side, as `fld quality` prints them (printed only: the manifests stay as the rounds wrote them). */
async function qualityOf(storage: Storage, collection: string, rounds: number[], world: string): Promise<string> {
  const columns = [];
  for (const round of rounds)
    columns.push({ label: `round ${round}`, set: (await scoreRound(storage, { collection, round, world })).annotated });
  return formatQualityTable(columns);
}

const whole = (flag: string, v: string | undefined, min: number) => wholeOption('run', flag, v, min);

/**
 * `fld run <source> --collection NAME`: round 0 in this process, no Redis (the in-process executor).
 * With `--rounds K`: the data engine's loop, round 0 then K times train on round r and refine round
 * r+1 with that model (pipeline/rounds/), each step skipped when its done marker is there, so a run
 * that was stopped anywhere continues where it stopped. `--world` prints each round's quality.
 * With `--workers` the same loop goes through Redis and the `fld worker` processes the user started
 * (pipeline/rounds/worker-steps.ts): a re-run after a kill joins the jobs still queued or running.
 */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run round 0 in this process without Redis (--local); with --rounds K the whole loop: round 0, then K x (train, refine), resumable; --workers: through BullMQ workers',
    )
    .argument('<source>', 'collection source (as for fld enqueue)')
    .requiredOption('--collection <name>', 'collection name')
    .option('--round <r>', 'round (without --rounds)', '0')
    .option(
      '--rounds <k>',
      'refinement rounds after round 0: train on round r, refine round r+1 with that model (r = 0..K-1)',
    )
    .option('--registry <dir>', 'model registry for the trained models (default: $FLD_MODELS or .fld/models)')
    .option(
      '--init <model>',
      'starting model of the first training (a registered name or a folder; default: from scratch)',
    )
    .option('--train-steps <n>', "training steps per round (default: the trainer's own)")
    .option(
      '--detector-steps <n>',
      "steps of each detector retraining (config refine.retrain) (default: the trainer's own)",
    )
    .option('--train-timeout <s>', 'kill a trainer after this many seconds')
    .option('--world <dir>', "a demo world (fld world generate): print each round's quality against its truth")
    .option('--local', 'in-process executor (the default)', true)
    .option(
      '--workers',
      "with --rounds: through Redis and BullMQ workers (start fld worker processes for the round's queues and train)",
      false,
    )
    .option('--allow-outside', 'accept manifest paths outside the manifest folder', false)
    .option(ANNOTATIONS_ONLY[0], ANNOTATIONS_ONLY[1], false)
    .option('--config <file>', 'config file')
    .action(async (arg: string, o: Opts) => {
      const rounds = whole('--rounds', o.rounds, 0);
      const trainSteps = whole('--train-steps', o.trainSteps, 1) ?? null;
      const trainTimeoutS = whole('--train-timeout', o.trainTimeout, 1);
      const detectorSteps = whole('--detector-steps', o.detectorSteps, 1) ?? null;
      if (rounds !== undefined && o.round !== '0')
        throw Object.assign(new Error('run: --rounds runs from round 0; leave out --round'), { exitCode: 2 });
      if (o.workers && rounds === undefined)
        throw Object.assign(new Error('run: --workers goes with --rounds K (--rounds 0 for round 0 alone)'), {
          exitCode: 2,
        });
      const round = rounds === undefined ? whole('--round', o.round, 0)! : 0;
      const config = await loadConfig(o.config);
      requireSpecialists('run', config, o.annotationsOnly);
      // the sources are opened before anything is written: a path that is not there stops here
      const opened = detectSource(arg, { allowOutside: o.allowOutside, openStorage: (url) => openStorage(url) });
      const source = () => opened;
      const vs = config.verified.source;
      const verified = vs
        ? detectSource(vs, { allowOutside: o.allowOutside, openStorage: (url) => openStorage(url) })
        : undefined;
      const verifiedSource = verified && (() => verified);
      // Redis is checked first: with --workers a Redis that is down is one clear error before any work
      const engine = o.workers ? await openEngine(config) : null;
      const local = engine ? null : openServices(config);
      const services = engine?.services ?? local!;
      const close = () => (engine ?? local!).close();
      const fresh = [o.collection, ...(config.verified.collection ? [config.verified.collection] : [])];
      const isNew = new Map(
        await Promise.all(fresh.map(async (c) => [c, await isNewCollection(services.storage, c)] as const)),
      );
      try {
        await warnDemoModels(config.specialists, arg, (l) => process.stderr.write(l));
        if (rounds === undefined) {
          const v = config.verified.collection;
          if (v && round === 0 && verifiedSource && !(await services.storage.exists(layout.manifest(v, 0)))) {
            await localSteps({
              config,
              services,
              source,
              verifiedSource,
              collection: o.collection,
              registry: registryDir(o.registry),
              say: () => {},
            }).verified!.round0();
            process.stderr.write(`verified set ${v} round 0: thresholds decided\n`);
          }
          const failed = new FailedImages();
          const { manifest, shards } = await runSourceRoundLocal(
            services,
            config,
            source,
            o.collection,
            round,
            (s, d) => {
              failed.add(s, d.outputs);
              process.stderr.write(progressLine(round, s, d) + '\n');
            },
            (listed) => {
              process.stderr.write(
                `${o.collection}: ${listed.images} images in ${listed.shards.length} shards${listed.listed ? ` listed from ${opened.description}` : ' (listed before)'}\n`,
              );
              for (const l of skippedLines(listed.problems, o.collection)) process.stderr.write(l + '\n');
            },
          );
          for (const l of await failed.lines(services.storage, o.collection, round)) process.stderr.write(l + '\n');
          process.stdout.write(
            `${o.collection} round ${round}: ${shards.shards.length} shards, ${shards.images} images, ${shards.skipped} skipped, ${failed.total} errors -> ${manifest}\n`,
          );
          if (o.world)
            process.stdout.write(
              `\nquality against the truth of ${o.world} (fld quality records it in the manifest)\n${await qualityOf(services.storage, o.collection, [round], o.world)}`,
            );
          return;
        }
        const say = (l: string) => process.stdout.write(l + '\n');
        const registry = registryDir(o.registry);
        // a model folder given relative to here must mean the same folder to a worker elsewhere
        const init = o.init && existsSync(o.init) ? resolve(o.init) : (o.init ?? null);
        const executor: RoundsExecutor = engine
          ? workerSteps({
              config,
              q: engine.q,
              source,
              verifiedSource,
              collection: o.collection,
              registry,
              trainSteps,
              detectorSteps,
              trainTimeoutS,
              tty: process.stderr.isTTY === true,
              say,
              onTrainProgress: (p) => process.stderr.write(trainProgressLine(p) + '\n'),
            })
          : localSteps({
              config,
              services,
              source,
              verifiedSource,
              collection: o.collection,
              registry,
              trainSteps,
              detectorSteps,
              trainTimeoutS,
              say,
              onTrainLine: (l) => {
                if (l.event) process.stderr.write(trainProgressLine(l.event) + '\n');
              },
            });
        const steps = await runRounds({
          storage: services.storage,
          collection: o.collection,
          rounds,
          init,
          executor,
          say,
        });
        const listed = await readCollectionPlan(services.storage, o.collection);
        if (listed) for (const l of skippedLines(listed.skipped, o.collection)) process.stderr.write(l + '\n');
        say(
          `\n${o.collection}: ${steps.length} steps, ${steps.filter((s) => s.skipped).length} done before, ${steps.reduce((a, s) => a + (s.skipped ? 0 : s.seconds), 0).toFixed(1)} s`,
        );
        if (o.world) {
          const rounds = steps.filter((s) => s.step.kind !== 'train').map((s) => s.step.round);
          say(
            `\nquality against the truth of ${o.world} (fld quality records it in a round's manifest)\n${await qualityOf(services.storage, o.collection, rounds, o.world)}`,
          );
        }
      } catch (e) {
        // a collection this run created and never finished listing is removed (no half collection for fld stats)
        for (const [c, n] of isNew) if (n) await discardUnlisted(services.storage, c).catch(() => false);
        throw e;
      } finally {
        await close();
      }
    });
}

import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { enqueueRound, replanRound, resumeRound, roundPlanFor } from '../engine/enqueue.ts';
import { openEngine } from '../engine/open-engine.ts';
import { detectSource } from '../sources/detect.ts';
import { openStorage } from '../storage/open-storage.ts';
import { SOURCE_TYPES, type Source, type SourceType } from '../sources/types.ts';
import { skippedLines } from './run-report.ts';
import { ANNOTATIONS_ONLY, requireSpecialists, warnDemoModels } from './specialist-checks.ts';
import { wholeOption } from './whole-option.ts';

interface Opts {
  collection: string;
  round: string;
  resume: boolean;
  config?: string;
  format?: SourceType;
  allowOutside: boolean;
  readSize: boolean;
  idFrom: 'uri' | 'bytes';
  annotationsOnly: boolean;
  replan: boolean;
  json: boolean;
}

/**
 * `fld enqueue <source> --collection NAME [--round R]`: image shards from the source, then one flow
 * per shard within the window; `--resume` rebuilds a round's queue from storage after a Redis loss.
 */
export function register(program: Command): void {
  program
    .command('enqueue')
    .description(
      "write a collection's image shards and queue a round (one BullMQ flow per shard, at most a window in flight)",
    )
    .argument(
      '[source]',
      'folder, manifest (.jsonl/.csv/.parquet), COCO json, img2dataset output or s3://bucket/prefix',
    )
    .requiredOption('--collection <name>', 'collection name')
    .option('--round <r>', 'round', '0')
    .option(
      '--resume',
      "rebuild the round's queue from storage (done markers) after a Redis loss; no source needed",
      false,
    )
    .option('--config <file>', 'config file (default fld.config.json / .yaml in the working folder)')
    .addOption(new Option('--format <type>', 'source type instead of detecting it').choices(SOURCE_TYPES as string[]))
    .option('--allow-outside', 'accept manifest paths outside the manifest folder', false)
    .option(
      '--no-read-size',
      'do not read width/height from image headers at enqueue: a size the manifest declares is then trusted until a specialist decodes the image (a mismatch is an error row there), and an image without one has its boxes not checked against its bounds',
    )
    .addOption(
      new Option(
        '--id-from <what>',
        "image ids from each image's normalised uri, or from its bytes (the same ids wherever the files are)",
      )
        .choices(['uri', 'bytes'])
        .default('uri'),
    )
    .option(ANNOTATIONS_ONLY[0], ANNOTATIONS_ONLY[1], false)
    .option(
      '--replan',
      "replace the round's saved plan with this config's (a plan every merge fails on, say); refused while shards of the round are queued or running; then fld retry runs the failed shards under the new plan",
      false,
    )
    .option('--json', 'print the summary as JSON', false)
    .action(async (arg: string | undefined, o: Opts) => {
      const round = wholeOption('enqueue', '--round', o.round, 0)!;
      if (!o.resume && !arg)
        throw Object.assign(new Error('enqueue: give a <source>, or --resume to rebuild a round from storage'), {
          exitCode: 2,
        });
      const config = await loadConfig(o.config);
      // before Redis and storage: no specialist, a source that is not there, a demo model on other images
      let source: Source | undefined;
      if (!o.resume) {
        requireSpecialists('enqueue', config, o.annotationsOnly);
        source = detectSource(arg!, {
          format: o.format,
          allowOutside: o.allowOutside,
          openStorage: (url) => openStorage(url),
        });
        await warnDemoModels(config.specialists, arg!, (l) => process.stderr.write(l));
      }
      const engine = await openEngine(config);
      try {
        let summary;
        if (o.resume) {
          summary = await resumeRound(engine.q, o.collection, round);
        } else {
          let plan;
          if (o.replan) {
            const r = await replanRound(engine.q, o.collection, round, config);
            plan = r.plan;
            process.stderr.write(
              r.changed
                ? `replanned round ${round} of ${o.collection}: ${r.changed}\n`
                : `round ${round} of ${o.collection}: the plan is unchanged\n`,
            );
          } else plan = await roundPlanFor(engine.q.storage, o.collection, round, config);
          for (const field of ['specialists', 'filters'] as const) {
            if (JSON.stringify(plan[field]) !== JSON.stringify(config[field])) {
              process.stderr.write(
                `warning: round ${round} of ${o.collection} was planned with ${field} ${JSON.stringify(plan[field])}; the config now says ${JSON.stringify(config[field])}. The saved plan is used (a round does not change halfway; enqueue a new round for new settings)\n`,
              );
            }
          }
          const tty = !o.json && process.stderr.isTTY;
          let shardsSeen = 0;
          // measured sizes win over the source's; say so for the first few, then how many
          let corrected = 0;
          const onSizeCorrected = (
            where: string,
            given: { width: number; height: number },
            m: { width: number; height: number },
          ) => {
            if (++corrected <= 5)
              process.stderr.write(
                `size: ${where}: the source says ${given.width}x${given.height}, the image is ${m.width}x${m.height}; the image's size is used\n`,
              );
          };
          const src = source!;
          summary = await enqueueRound(engine.q, plan, src, {
            shardSize: config.shardSize,
            readSize: o.readSize,
            idFrom: o.idFrom,
            onSizeCorrected,
            onShard: () => {
              if (tty) process.stderr.write(`\r${src.type}: ${++shardsSeen} shards written and queued`);
            },
          });
          if (tty) process.stderr.write('\n');
          if (corrected > 5)
            process.stderr.write(
              `size: ${corrected} images in all had another size than the source gave; their measured sizes are used\n`,
            );
          for (const l of skippedLines(summary.problems, o.collection)) process.stderr.write(l + '\n');
        }
        const { shards, ...rest } = summary;
        if (o.json) process.stdout.write(JSON.stringify({ ...rest, shards: shards.length }) + '\n');
        else
          process.stdout.write(
            `${o.collection} round ${round}: ${shards.length} shards (${summary.images} images, ${summary.skipped} skipped), ${summary.registered} newly queued, ${summary.alreadyDone} already done\n`,
          );
      } finally {
        await engine.close();
      }
    });
}

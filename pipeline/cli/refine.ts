import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { openEngine, openServices } from '../engine/open-engine.ts';
import { enqueueRefineRound, runRefineRoundLocal } from '../engine/refine-round.ts';
import { roundStatus } from '../engine/status.ts';
import { wholeOption } from './whole-option.ts';

interface Opts {
  collection: string;
  round: string;
  model: string;
  config?: string;
  local: boolean;
  tasks?: string;
  registry?: string;
  detector?: string;
  wait: boolean;
  json: boolean;
}

/**
 * `fld refine --collection C --round R --model M`: refinement round R >= 1 (docs/refinement.md): the
 * model re-annotates every image for the configured tasks it supports, the merge combines its rows with
 * round R-1's under `refine.policy`, the filters run again. On the BullMQ workers (default) or `--local`.
 * With config `refine.retrain: ["detector"]` the detector slot runs the detector retrained on round R-1
 * (`<C>-detector-round-<R-1>`, or `--detector`).
 */
export function register(program: Command): void {
  program
    .command('refine')
    .description(
      'refinement round R >= 1: a trained florence2 model re-annotates the collection, merged with round R-1 and filtered',
    )
    .requiredOption('--collection <name>', 'collection name (its images were sharded by round 0)')
    .requiredOption('--round <r>', 'round to run (>= 1); round R-1 must be finished')
    .requiredOption('--model <name or dir>', 'florence2 model folder, or a name in the model registry')
    .option('--tasks <list>', 'comma-separated task tokens instead of config refine.tasks, e.g. "<CAPTION>,<OD>"')
    .option('--registry <dir>', 'model registry (default FLD_MODELS or .fld/models)')
    .option(
      '--detector <name or dir>',
      'with config refine.retrain ["detector"]: the retrained detector for the detector slot (default <collection>-detector-round-<R-1>; a held-out collection names the train collection\'s)',
    )
    .option('--local', 'run in this process instead of queueing on the BullMQ workers', false)
    .option('--wait', 'after queueing, wait until the workers finish the round', false)
    .option('--config <file>', 'config file')
    .option('--json', 'print the summary as JSON', false)
    .action(async (o: Opts) => {
      const round = wholeOption('refine', '--round', o.round, 1)!;
      const config = await loadConfig(o.config);
      const opts = {
        model: o.model,
        registry: o.registry,
        ...(o.detector ? { detector: o.detector } : {}),
        ...(o.tasks
          ? {
              tasks: o.tasks
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
      };
      const say = (line: string, json: object) =>
        process.stdout.write(o.json ? JSON.stringify(json) + '\n' : line + '\n');
      const note = (r: { created: boolean; skipped: string[]; plan: { specialists: Record<string, string> } }) => {
        if (!r.created)
          process.stderr.write(`round ${round} of ${o.collection} was planned before: its saved plan is used\n`);
        for (const s of r.skipped) process.stderr.write(`not run: ${s}\n`);
      };
      if (o.local) {
        const services = openServices(config);
        try {
          const r = await runRefineRoundLocal(services, config, o.collection, round, {
            ...opts,
            onShard: (s) => process.stderr.write(`shard ${s} done\n`),
          });
          note(r);
          say(
            `${o.collection} round ${round}: ${r.shards.length} shards refined with ${r.plan.refine!.model} -> ${r.manifest}`,
            {
              collection: o.collection,
              round,
              shards: r.shards.length,
              model: r.plan.refine!.model,
              tasks: r.plan.refine!.tasks,
              skipped: r.skipped,
              manifest: r.manifest,
            },
          );
        } finally {
          await services.close();
        }
        return;
      }
      const engine = await openEngine(config);
      try {
        const r = await enqueueRefineRound(engine.q, config, o.collection, round, opts);
        note(r);
        const { shards, ...rest } = r.summary;
        say(
          `${o.collection} round ${round}: ${shards.length} shards, ${rest.registered} newly queued, ${rest.alreadyDone} already done (model ${r.plan.refine!.model})`,
          {
            ...rest,
            shards: shards.length,
            model: r.plan.refine!.model,
            tasks: r.plan.refine!.tasks,
            skipped: r.skipped,
          },
        );
        if (o.wait) {
          let s = await roundStatus(engine.q, { collection: o.collection, round });
          while (!s.finished) {
            await new Promise((res) => setTimeout(res, 1000));
            s = await roundStatus(engine.q, { collection: o.collection, round });
          }
          if (s.shards.failed)
            throw Object.assign(
              new Error(
                `refine round ${round} of ${o.collection}: ${s.shards.failed} shards failed for good (fld status, fld retry)`,
              ),
              { exitCode: 1 },
            );
        }
      } finally {
        await engine.close();
      }
    });
}

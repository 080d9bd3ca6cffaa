import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { openEngine } from '../engine/open-engine.ts';
import { redisForDemo } from '../../demo/run/demo-redis.ts';
import { waitForRound } from '../engine/round-progress.ts';
import { DEMO_VERIFIED_IMAGES, demoPlan } from '../../demo/run/steps.ts';
import { scoreRound, writeRoundQuality } from '../../demo/quality/round-quality.ts';
import { formatQualityTable } from '../stats/quality-table.ts';
import { readManifest } from '../shards/round-files.ts';
import { formatAcceptance } from '../stats/acceptance-table.ts';
import { openStorage } from '../storage/open-storage.ts';
import { FLD_BIN, startWorkers, type WorkerGroup } from '../../demo/run/worker-procs.ts';
import { formatStatus } from './status.ts';
import { wholeOption } from './whole-option.ts';

/** Enough for the tiny captioner to end its captions (an untrained one writes 256 tokens per image): about 2.5 min on 2 shared cores. */
const DEMO_TRAIN_STEPS = 150;

const fail = (msg: string, exitCode = 1) => Object.assign(new Error(msg), { exitCode });
const int = (flag: string, v: string, min: number): number => wholeOption('demo', flag, v, min)!;

/**
 * The main job on the bundled demo world (demo/run/steps.ts lists the steps): a world with exact
 * truth, round 0, a training and refinement round 1 through real BullMQ workers on Redis (the
 * configured one, or a private redis-server when none answers), progress bars, stats, the HTML report
 * and the quality per round against the truth, with the time of each step. The `fld` steps are child processes running the commands a user would type.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the bundled demo world: generate, round 0, a training and round 1 through BullMQ workers, stats, quality per round, HTML report',
    )
    .option('--out <dir>', 'working folder', '.fld/demo')
    .option('--images <n>', 'images in the demo world', '120')
    .option('--seed <s>', 'world seed', '7')
    .option(
      '--rounds <k>',
      'refinement rounds after round 0 (each: a training, then a round refined by its model)',
      '1',
    )
    .option('--train-steps <n>', 'training steps per round', String(DEMO_TRAIN_STEPS))
    .option('--verified-images <n>', 'images of the verified set', String(DEMO_VERIFIED_IMAGES))
    .action(
      async (o: {
        out: string;
        images: string;
        seed: string;
        rounds: string;
        trainSteps: string;
        verifiedImages: string;
      }) => {
        // the training step runs Debian's PyTorch: say so before any work, not at step 10 with a traceback
        if (int('--rounds', o.rounds, 0) > 0) {
          const py = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' });
          if (py.status !== 0)
            throw fail(
              `demo: the training step needs /usr/bin/python3 with Debian's python3-torch and python3-onnx (${py.error ? 'no /usr/bin/python3' : (py.stderr.trim().split('\n').pop() ?? 'import failed')}); run bash scripts/setup.sh as root, or demo --rounds 0`,
              2,
            );
        }
        const out = resolve(o.out);
        const queuePrefix = `{fld-demo-${process.pid}-${Date.now().toString(36)}}`;
        const plan = demoPlan({
          out,
          images: int('--images', o.images, 1),
          seed: int('--seed', o.seed, 0),
          queuePrefix,
          rounds: int('--rounds', o.rounds, 0),
          trainSteps: int('--train-steps', o.trainSteps, 1),
          verifiedImages: int('--verified-images', o.verifiedImages, 1),
        });
        const logDir = join(out, 'logs');
        mkdirSync(logDir, { recursive: true });
        writeFileSync(plan.configFile, JSON.stringify(plan.config, null, 2) + '\n');
        const say = (s: string) => process.stdout.write(s + '\n');
        const config = await loadConfig(plan.configFile);
        const redis = await redisForDemo(config.redis, queuePrefix, say);
        const env = { ...process.env, REDIS_URL: redis.url };
        const workers: WorkerGroup[] = [];
        const stopWorkers = async () => {
          await Promise.all(workers.splice(0).map((w) => w.stop()));
        };
        let engine: Awaited<ReturnType<typeof openEngine>> | null = null;
        const times: [string, number][] = [];
        // Ctrl-C: the workers and a private redis-server get the signal from the terminal too; the
        // demo still stops what it started and deletes its keys on a shared Redis before exiting.
        const onSignal = (sig: NodeJS.Signals) => {
          say(`\n${sig}: stopping the workers and cleaning up`);
          void (async () => {
            await stopWorkers().catch(() => {});
            await engine?.close().catch(() => {});
            await redis.close().catch(() => {});
            process.exit(130);
          })();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          for (const [i, s] of plan.steps.entries()) {
            say(`\n[${i + 1}/${plan.steps.length}] ${s.name}${s.kind === 'fld' ? `: fld ${s.args.join(' ')}` : ''}`);
            const t0 = performance.now();
            if (s.kind === 'fld') {
              const r = spawnSync(process.execPath, [FLD_BIN, ...s.args], { stdio: 'inherit', env });
              if (r.status !== 0) throw fail(`demo: step "${s.name}" failed (exit ${r.status ?? r.signal})`);
            } else if (s.kind === 'workers') {
              const group = startWorkers(s.queues, { config: plan.configFile, logDir, env, registry: plan.registry });
              workers.push(group);
              for (const p of group.procs)
                say(`  fld worker --queues ${p.queues.join(',')}  (pid ${p.pid}, log ${p.log})`);
            } else if (s.kind === 'wait') {
              engine ??= await openEngine({ ...config, redis: redis.url });
              const st = await waitForRound(
                engine.q,
                { collection: s.collection, round: s.round },
                {
                  tty: process.stderr.isTTY === true,
                  say: (l) => say(`  ${l}`),
                  abort: () => {
                    const dead = workers.map((w) => w.dead()).find(Boolean);
                    return dead
                      ? `worker ${dead.queues.join(',')} (pid ${dead.pid}) exited with ${dead.child.exitCode ?? dead.child.signalCode}; see ${dead.log}`
                      : null;
                  },
                },
              );
              say(formatStatus(st));
              if (st.shards.failed)
                throw fail(
                  `demo: ${st.shards.failed} shard(s) of round ${s.round} failed (see above, and the worker logs in ${logDir})`,
                );
            } else if (s.kind === 'acceptance') {
              const storage = openStorage(plan.data);
              try {
                const a = (await readManifest(storage, s.collection, s.round)).acceptance;
                say(a ? formatAcceptance(a) : `  round ${s.round} has no acceptance (no verified set)`);
              } finally {
                await storage.close();
              }
            } else if (s.kind === 'quality') {
              const storage = openStorage(plan.data);
              try {
                const columns = [];
                for (const round of s.rounds) {
                  const q = await scoreRound(storage, { collection: s.collection, round, world: plan.world });
                  await writeRoundQuality(storage, s.collection, round, q);
                  columns.push({ label: `round ${round}`, set: q.annotated });
                }
                say(formatQualityTable(columns));
              } finally {
                await storage.close();
              }
            } else {
              await stopWorkers();
            }
            times.push([s.name, (performance.now() - t0) / 1000]);
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await stopWorkers();
          await engine?.close();
          await redis.close();
        }
        say('\nstep timings');
        for (const [name, s] of times) say(`  ${name.padEnd(72)} ${s.toFixed(1).padStart(7)} s`);
        say(
          `  ${'total'.padEnd(72)} ${times
            .reduce((a, [, s]) => a + s, 0)
            .toFixed(1)
            .padStart(7)} s\nreport: ${plan.report}`,
        );
      },
    );
}

import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { openEngine } from '../engine/open-engine.ts';
import { formatProviderFallbacks, readProviderFallbacks } from '../engine/fallback-status.ts';
import { fmtEta, fmtRate, waitForRound } from '../engine/round-progress.ts';
import { roundStatus, type RoundStatus } from '../engine/status.ts';
import { wholeOption } from './whole-option.ts';

export function formatStatus(s: RoundStatus): string {
  const sh = s.shards;
  const lines = [
    `${s.collection} round ${s.round}: shards ${sh.done}/${sh.total} done, ${sh.active} active, ${sh.waiting} waiting, ${sh.pending} pending, ${sh.failed} failed; images ${s.images.done}/${s.images.total}, ${fmtRate(s)}, ETA ${fmtEta(s)}`,
    ...(s.listed
      ? []
      : [
          `  source not fully listed: fld enqueue is still running, or it stopped before the end (killed, or its source failed); run it again, it continues`,
        ]),
    `  skipped at enqueue: ${s.skipped.total}${
      Object.keys(s.skipped.byReason).length
        ? ` (${Object.entries(s.skipped.byReason)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')})`
        : ''
    }; per-image errors: ${s.itemErrors}`,
    ...s.stages.map(
      (t) =>
        `  ${t.stage.padEnd(24)} ${t.queue.padEnd(14)} waiting ${t.waiting}  active ${t.active}  done ${t.done}  failed ${t.failed}`,
    ),
    ...s.lastErrors.slice(0, 5).map((e) => `  ! shard ${e.shard} ${e.stage} ${e.at}: ${e.message}`),
  ];
  return lines.join('\n');
}

/** `fld status`: per collection, round and stage: shards waiting / active / done / failed, images/s, ETA, last errors. */
export function register(program: Command): void {
  program
    .command('status')
    .description('progress of queued rounds: shards per stage, images/s, ETA, skipped items and the last errors')
    .option('--collection <name>', 'only this collection')
    .option('--round <r>', 'only this round')
    .option('--config <file>', 'config file')
    .option(
      '--watch',
      'follow one round until it finishes: a live progress bar in a terminal, a line per change otherwise',
      false,
    )
    .option('--json', 'print JSON', false)
    .action(async (o: { collection?: string; round?: string; config?: string; watch: boolean; json: boolean }) => {
      const round = wholeOption('status', '--round', o.round, 0);
      const engine = await openEngine(await loadConfig(o.config));
      try {
        const keys = (await engine.q.rounds()).filter(
          (k) => (!o.collection || k.collection === o.collection) && (round === undefined || k.round === round),
        );
        if (!keys.length)
          throw Object.assign(
            new Error(
              `status: no queued round${o.collection ? ` of collection ${o.collection}` : ''} in this Redis (fld enqueue, or fld enqueue --resume after a Redis loss)`,
            ),
            { exitCode: 1 },
          );
        if (o.watch) {
          // one round: a live bar in a terminal, a line per change elsewhere (CI logs), both on
          // stderr; the final status on stdout (--json for scripts) once the round is finished
          if (keys.length > 1)
            throw Object.assign(
              new Error(
                `status --watch follows one round; ${keys.length} match (${keys.map((k) => `${k.collection} round ${k.round}`).join(', ')}): give --collection and --round`,
              ),
              { exitCode: 2 },
            );
          const s = await waitForRound(engine.q, keys[0], {
            tty: process.stderr.isTTY === true && !o.json,
            say: (l) => process.stderr.write(l + '\n'),
          });
          process.stdout.write(o.json ? JSON.stringify([s], null, 2) + '\n' : formatStatus(s) + '\n');
          return;
        }
        const all = [];
        for (const k of keys) all.push(await roundStatus(engine.q, k));
        process.stdout.write(o.json ? JSON.stringify(all, null, 2) + '\n' : all.map(formatStatus).join('\n') + '\n');
        const fallbacks = formatProviderFallbacks(await readProviderFallbacks(engine.q.redis, engine.q.prefix));
        // on stderr with --json, so the JSON on stdout keeps its shape
        if (fallbacks.length)
          (o.json ? process.stderr : process.stdout).write(
            ['workers running a model on CPU instead of the GPU provider asked for:', ...fallbacks].join('\n') + '\n',
          );
      } finally {
        await engine.close();
      }
    });
}

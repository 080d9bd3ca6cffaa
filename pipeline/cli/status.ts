import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/load-config.ts';
import { openEngine } from '../engine/open.ts';
import { roundStatus, type RoundStatus } from '../engine/status.ts';
import { wholeOption } from './whole-option.ts';

const fmtRate = (s: RoundStatus) => (s.images.perSecond === null ? '-' : `${s.images.perSecond.toFixed(1)} img/s`);
const fmtEta = (s: RoundStatus) => (s.images.etaSeconds === null ? '-' : `${Math.round(s.images.etaSeconds)} s`);

export function formatStatus(s: RoundStatus): string {
  const sh = s.shards;
  const lines = [
    `${s.collection} round ${s.round}: shards ${sh.done}/${sh.total} done, ${sh.active} active, ${sh.waiting} waiting, ${sh.pending} pending, ${sh.failed} failed; images ${s.images.done}/${s.images.total}, ${fmtRate(s)}, ETA ${fmtEta(s)}`,
    `  skipped at enqueue: ${s.skipped.total}${Object.keys(s.skipped.byReason).length ? ` (${Object.entries(s.skipped.byReason).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}; per-image errors: ${s.itemErrors}`,
    ...s.stages.map((t) => `  ${t.stage.padEnd(24)} ${t.queue.padEnd(14)} waiting ${t.waiting}  active ${t.active}  done ${t.done}  failed ${t.failed}`),
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
    .option('--watch', 'keep a live progress bar until the round finishes (in a terminal)', false)
    .option('--json', 'print JSON', false)
    .action(async (o: { collection?: string; round?: string; config?: string; watch: boolean; json: boolean }) => {
      const round = wholeOption('status', '--round', o.round, 0);
      const engine = await openEngine(await loadConfig(o.config));
      try {
        const keys = (await engine.q.rounds()).filter((k) => (!o.collection || k.collection === o.collection) && (round === undefined || k.round === round));
        if (!keys.length) throw Object.assign(new Error(`status: no queued round${o.collection ? ` of collection ${o.collection}` : ''} in this Redis (fld enqueue, or fld enqueue --resume after a Redis loss)`), { exitCode: 1 });
        if (o.watch && process.stderr.isTTY && !o.json && keys.length === 1) {
          const bar = new cliProgress.SingleBar({ format: '{bar} {value}/{total} images | {rate} | ETA {eta_s} | shards {done}/{shards} failed {failed}', stream: process.stderr }, cliProgress.Presets.shades_classic);
          let s = await roundStatus(engine.q, keys[0]);
          bar.start(s.images.total, s.images.done, { rate: fmtRate(s), eta_s: fmtEta(s), done: s.shards.done, shards: s.shards.total, failed: s.shards.failed });
          while (!s.finished) {
            await new Promise((r) => setTimeout(r, 1000));
            s = await roundStatus(engine.q, keys[0]);
            bar.update(s.images.done, { rate: fmtRate(s), eta_s: fmtEta(s), done: s.shards.done, shards: s.shards.total, failed: s.shards.failed });
          }
          bar.stop();
          process.stdout.write(formatStatus(s) + '\n');
          return;
        }
        const all = [];
        for (const k of keys) all.push(await roundStatus(engine.q, k));
        process.stdout.write(o.json ? JSON.stringify(all, null, 2) + '\n' : all.map(formatStatus).join('\n') + '\n');
      } finally {
        await engine.close();
      }
    });
}

import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { openEngine } from '../engine/open-engine.ts';
import { retryFailed } from '../engine/retry.ts';
import { wholeOption } from './whole-option.ts';

/** `fld retry --collection NAME [--round R]`: re-queues the shards that failed for good. */
export function register(program: Command): void {
  program
    .command('retry')
    .description('run the shards of a round that failed for good again (stages already done on them are skipped)')
    .requiredOption('--collection <name>', 'collection name')
    .option('--round <r>', 'round', '0')
    .option('--config <file>', 'config file')
    .option('--json', 'print the shards as JSON', false)
    .action(async (o: { collection: string; round: string; config?: string; json: boolean }) => {
      const round = wholeOption('retry', '--round', o.round, 0)!;
      const engine = await openEngine(await loadConfig(o.config));
      try {
        const shards = await retryFailed(engine.q, { collection: o.collection, round });
        process.stdout.write(
          o.json
            ? JSON.stringify({ retried: shards }) + '\n'
            : `re-queued ${shards.length} failed shard(s)${shards.length ? `: ${shards.join(', ')}` : ''}\n`,
        );
      } finally {
        await engine.close();
      }
    });
}

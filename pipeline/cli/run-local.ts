import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { roundPlanFor, writeImageShards } from '../engine/enqueue.ts';
import { runRoundLocal } from '../engine/local-executor.ts';
import { openServices } from '../engine/open.ts';
import { finalizeRound } from '../engine/round-manifest.ts';
import { detectSource } from '../sources/detect.ts';
import { openStorage } from '../storage/open.ts';

/** `fld run --local <source> --collection NAME`: the whole round in this process, no Redis (the in-process executor). */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a round in this process without Redis (--local): same stages and outputs as the workers')
    .argument('<source>', 'collection source (as for fld enqueue)')
    .requiredOption('--collection <name>', 'collection name')
    .option('--round <r>', 'round', '0')
    .option('--local', 'in-process executor (the only one this command has)', true)
    .option('--allow-outside', 'accept manifest paths outside the manifest folder', false)
    .option('--config <file>', 'config file')
    .action(async (arg: string, o: { collection: string; round: string; allowOutside: boolean; config?: string }) => {
      const config = await loadConfig(o.config);
      const services = openServices(config);
      try {
        const plan = await roundPlanFor(services.storage, o.collection, Number(o.round), config);
        const source = detectSource(arg, { allowOutside: o.allowOutside, openStorage: (url) => openStorage(url) });
        const shards = await writeImageShards(services.storage, source, { collection: o.collection, shardSize: config.shardSize, readSize: true });
        await runRoundLocal(plan, shards.shards, services, (s) => process.stderr.write(`shard ${s} done\n`));
        const manifest = await finalizeRound(services.storage, plan, new Set());
        process.stdout.write(`${o.collection} round ${plan.round}: ${shards.shards.length} shards, ${shards.images} images, ${shards.skipped} skipped -> ${manifest}\n`);
      } finally {
        await services.close();
      }
    });
}

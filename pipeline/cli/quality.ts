import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { qualityColumns, scoreRound, writeRoundQuality } from '../../demo/quality/round-quality.ts';
import { formatQualityTable } from '../stats/quality-table.ts';
import { openStorage } from '../storage/open-storage.ts';
import { wholeOption } from './whole-option.ts';

interface Opts {
  collection: string;
  round: string;
  world: string;
  heldOut?: string;
  heldOutWorld?: string;
  write: boolean;
  unfiltered: boolean;
  config?: string;
  json: boolean;
}

/**
 * `fld quality --collection C --round R --world DIR [--held-out H --held-out-world DIR2]`: a finished
 * round of a demo-world collection scored against the world (box F1 at IoU 0.5, caption object
 * precision / recall / F1 per granularity, grounding accuracy, OCR CER), on its own images and on the
 * held-out collection's same round; written into the round manifest's `quality` field and printed.
 */
export function register(program: Command): void {
  program
    .command('quality')
    .description(
      'score a finished round of a demo-world collection (and a held-out collection) and write it into the round manifest',
    )
    .requiredOption('--collection <name>', 'the collection')
    .requiredOption('--round <r>', 'a finished round')
    .requiredOption('--world <dir>', 'the folder "fld world generate" made for the collection')
    .option('--held-out <name>', 'a held-out collection (never exported for training) annotated by the same rounds')
    .option('--held-out-world <dir>', 'its world folder')
    .option(
      '--unfiltered',
      "also score the round's raw specialist output (before merge and filters), side by side",
      false,
    )
    .option('--no-write', 'print only; leave the manifest as it is')
    .option('--config <file>', 'config file (for the storage)')
    .option('--json', 'print the quality block as JSON', false)
    .action(async (o: Opts) => {
      const round = wholeOption('quality', '--round', o.round, 0)!;
      if (Boolean(o.heldOut) !== Boolean(o.heldOutWorld))
        throw Object.assign(new Error('quality: --held-out and --held-out-world go together'), { exitCode: 2 });
      const config = await loadConfig(o.config);
      const storage = openStorage(config.storage);
      try {
        const q = await scoreRound(
          storage,
          { collection: o.collection, round, world: o.world },
          o.heldOut ? { collection: o.heldOut, round, world: o.heldOutWorld! } : undefined,
          { unfiltered: o.unfiltered },
        );
        const key = o.write ? await writeRoundQuality(storage, o.collection, round, q) : null;
        if (o.json) process.stdout.write(JSON.stringify(q) + '\n');
        else process.stdout.write(formatQualityTable(qualityColumns(q, round)) + (key ? `written to ${key}\n` : ''));
      } finally {
        await storage.close();
      }
    });
}

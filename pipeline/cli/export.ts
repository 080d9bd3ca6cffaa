import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ExportConfig } from '../../schemas/export-config.ts';
import { validate } from '../../schemas/validate.ts';
import { loadConfig } from '../config/load-config.ts';
import { ExportInputError } from '../export/export-errors.ts';
import { openStorage, type OpenedStorage } from '../storage/open-storage.ts';
import { wholeOption } from './whole-option.ts';

/**
 * `fld export --round R`: a round's annotations -> Florence-2 training rows (docs/training-stage.md).
 * Bad input (no such round, an empty round, an unreadable image, bad options) is one line on stderr
 * and exit code 2.
 */
interface Opts {
  round: string;
  collection?: string;
  root?: string;
  storage?: string;
  out?: string;
  format: string;
  embed: boolean;
  seed?: string;
  rowsPerShard?: string;
  config?: string;
  json?: boolean;
}

const whole = (flag: string, v: string | undefined, min: number) =>
  wholeOption('export', flag, v, min, (m) => new ExportInputError(m));

/** The only collection in a local storage root that has the round. */
async function pickCollection(storage: OpenedStorage, round: number): Promise<string> {
  if (!storage.url.startsWith('file://'))
    throw new ExportInputError(
      `export: pass --collection (the storage ${storage.url} is not a local folder, so it is not listed for one)`,
    );
  const root = fileURLToPath(storage.url);
  const names = await readdir(root).catch(() => null);
  if (names === null) throw new ExportInputError(`export: storage root ${root} does not exist`);
  const have: string[] = [];
  for (const c of names.sort())
    if ((await readdir(`${root}/${c}/round-${round}`).catch(() => null)) !== null) have.push(c);
  if (have.length === 1) return have[0];
  if (have.length === 0) throw new ExportInputError(`export: no collection under ${root} has a round ${round}`);
  throw new ExportInputError(
    `export: several collections under ${root} have a round ${round} (${have.join(', ')}); pass --collection`,
  );
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      "a round's annotations -> Florence-2 training rows (image, task, prefix, suffix, split) as Parquet shards or JSONL + images",
    )
    .requiredOption('--round <R>', 'the round to export')
    .option('--collection <name>', 'the collection (default: the only one in a local root that has this round)')
    .option('--root <dir>', 'storage root folder (same as --storage)')
    .option('--storage <url>', 'storage root: a folder or s3://bucket/prefix (default: config storage, $FLD_STORAGE)')
    .option('--out <dir|s3://...>', 'where to write (default: <storage>/<collection>/export/round-R/)')
    .option('--format <f>', 'parquet or jsonl', 'parquet')
    .option('--no-embed', 'write each image as its URI instead of embedding its bytes')
    .option('--seed <n>', 'seed of the split and task-mix draws (default: config export.seed)')
    .option('--rows-per-shard <n>', 'rows per Parquet shard (default: config export.rowsPerShard)')
    .option('--config <file>', 'config file (default: fld.config.json / .yaml in the working folder)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: Opts) => {
      const round = whole('--round', opts.round, 0)!;
      const seed = whole('--seed', opts.seed, 0);
      const rowsPerShard = whole('--rows-per-shard', opts.rowsPerShard, 1);
      if (opts.format !== 'parquet' && opts.format !== 'jsonl')
        throw new ExportInputError(`export: --format must be parquet or jsonl, got "${opts.format}"`);
      if (opts.root && opts.storage) throw new ExportInputError('export: pass --root or --storage, not both');
      const config = await loadConfig(opts.config).catch((e: Error) => {
        throw new ExportInputError(e.message.split('\n')[0]);
      });
      const exportConfig = validate(
        ExportConfig,
        {
          ...config.export,
          ...(seed !== undefined ? { seed } : {}),
          ...(rowsPerShard !== undefined ? { rowsPerShard } : {}),
        },
        'export config',
      );
      const { exportRound } = await import('../export/export-round.ts');
      const { progressBar } = await import('./world.ts');
      const storage = openStorage(opts.root ?? opts.storage ?? config.storage);
      const out = opts.out ? openStorage(opts.out) : undefined;
      const bar = progressBar(!opts.json && process.stderr.isTTY === true, 'export shards');
      try {
        const collection = opts.collection ?? (await pickCollection(storage, round));
        const s = await exportRound({
          storage,
          collection,
          round,
          out: out && { storage: out, prefix: '' },
          format: opts.format,
          embed: opts.embed,
          config: exportConfig,
          onProgress: (d, n) => bar.update(d, n),
        });
        bar.stop();
        if (opts.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
        else {
          const splits = Object.entries(s.rows.per_split)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          const skipped = Object.entries(s.images.skipped)
            .map(([k, v]) => `${v} ${k}`)
            .join('; ');
          const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
          process.stdout.write(
            `exported ${s.collection} round ${s.round}: ${s.rows.total} rows (${splits}) from ${s.images.exported} images in ${s.files.length} files${s.image_files ? ` + ${s.image_files} image files` : ''} to ${s.out}` +
              `${skipped ? `\nimages skipped: ${skipped}` : ''}${dropped ? `\nannotation items left out: ${dropped} (see _export.json)` : ''}${s.warnings.map((w) => `\nnote: ${w}`).join('')}\n`,
          );
        }
      } catch (e) {
        bar.stop();
        if (e instanceof Error && e.name === 'ValidationError')
          throw new ExportInputError(`export: ${e.message.split('\n')[0]}`);
        throw e;
      } finally {
        await storage.close();
        await out?.close();
      }
    });
}

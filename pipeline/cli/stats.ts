import { InvalidArgumentError, type Command } from 'commander';
import { renameSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/load-config.ts';

const roundNumber = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`a round is a whole number >= 0, got "${v}"`);
  return Number(v);
};

interface Opts {
  round: number;
  collection?: string;
  root?: string;
  diff?: number;
  json?: boolean;
  html?: string;
}

/** The root every command shares: --root, else the config's storage (fld.config.*, $FLD_STORAGE, default .fld/data). */
async function storageRoot(opt: string | undefined): Promise<string> {
  return opt ?? (await loadConfig()).storage;
}

export function register(program: Command): void {
  program
    .command('stats')
    .description(
      "tables (the paper's Tables 2 and 3, filter pass rates, per-source counts) and Figure 5 plots for one round",
    )
    .requiredOption('--round <R>', 'the round to describe', roundNumber)
    .option('--collection <name>', 'the collection (default: the only one under the root that has this round)')
    .option(
      '--root <dir|url>',
      'storage root: a folder, file:// or s3:// URL (default: the config storage: $FLD_STORAGE, else .fld/data)',
    )
    .option('--diff <R0>', 'also show what the round added, removed and changed versus round R0', roundNumber)
    .option('--json', 'print the stats as JSON (for scripts) instead of tables')
    .option('--html <file>', 'also write a self-contained HTML report with the tables and plots')
    .action(async (opts: Opts) => {
      // Loaded here, not at the top: every `fld` command registers this one, and DuckDB and Vega
      // take a second to load that `fld --help` or `fld enqueue` should not pay.
      const { computeRoundStats } = await import('../stats/round-stats.ts');
      const { reportTables } = await import('../stats/report-tables.ts');
      const { printTable } = await import('../stats/table.ts');
      const stats = await computeRoundStats({
        root: await storageRoot(opts.root),
        collection: opts.collection,
        round: opts.round,
        diff: opts.diff,
      });
      if (opts.html) {
        const { qualityPlots, spatialPlots } = await import('../stats/plots.ts');
        const { reportHtml } = await import('../stats/report-html.ts');
        const html = reportHtml(stats, await spatialPlots(stats.spatial), await qualityPlots(stats.quality));
        const tmp = `${opts.html}.tmp-${process.pid}`;
        writeFileSync(tmp, html);
        renameSync(tmp, opts.html);
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
        return;
      }
      const text = reportTables(stats).map(printTable).join('\n\n');
      const notes = stats.warnings.length ? `\n\nNotes:\n${stats.warnings.map((w) => `- ${w}`).join('\n')}` : '';
      process.stdout.write(`${text}${notes}${opts.html ? `\n\nHTML report: ${opts.html}` : ''}\n`);
    });
}

/**
 * Runs every benchmark in bench/ (files named `*.bench.ts`), or the one an argument names exactly
 * (`npm run bench -- world`), or those whose name contains an argument (`npm run bench -- parquet`);
 * `select.ts` decides. Arguments after a second `--` go to each benchmark run:
 * `npm run bench -- parquet-writers -- --rows 20000`. Each benchmark prints its own
 * `figure | anchor | ratio` table.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBenches } from './select.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const split = args.indexOf('--');
const filters = split < 0 ? args : args.slice(0, split);
const passed = split < 0 ? [] : args.slice(split + 1);
const benches = selectBenches(readdirSync(here), filters);
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, b), ...passed], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (benches.length === 0) console.log('no benchmark matched', filters.join(' '));
process.exit(failed ? 1 : 0);

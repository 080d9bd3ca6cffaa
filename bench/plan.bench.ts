/**
 * Shard planning rate: a 1,000,000-line JSONL manifest -> image records in shards of
 * 1000, ids from URIs, no image headers read, against the 20,000 images/s floor. Also: the same
 * with every file checked on disk (existence + confinement; 100k real empty files), CSV and
 * Parquet manifests of the same rows, and the bare read of the JSONL (readline + JSON.parse) as
 * the ceiling a planner over that file can reach.
 *   npm run bench -- plan            (FLD_BENCH_PLAN_N=200000 for a quick run)
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { CsvManifestSource } from '../pipeline/sources/manifest-csv.ts';
import { JsonlManifestSource } from '../pipeline/sources/manifest-jsonl.ts';
import { ParquetManifestSource } from '../pipeline/sources/manifest-parquet.ts';
import { planShards } from '../pipeline/sources/plan.ts';
import type { Source } from '../pipeline/sources/types.ts';

const N = Number(process.env.FLD_BENCH_PLAN_N ?? 1_000_000);
const N_FILES = Math.min(N, 100_000);
const FLOOR = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'fld-plan-bench-'));

const rel = (i: number) => `img/${String(Math.floor(i / 1000)).padStart(4, '0')}/${String(i).padStart(8, '0')}.jpg`;
const row = (i: number) => ({
  uri: rel(i),
  alt_text: `a photo of thing number ${i} on a table`,
  boxes: i % 10 === 0 ? [{ box: [1, 2, 30, 40], category: 'thing' }] : undefined,
});

async function writeLines(file: string, n: number, line: (i: number) => string, header?: string): Promise<void> {
  const out = createWriteStream(file);
  if (header) out.write(header + '\n');
  for (let i = 0; i < n; i++) if (!out.write(line(i) + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function timePlan(source: Source): Promise<{ rate: number; images: number; problems: number; secs: number }> {
  const t0 = performance.now();
  const plan = planShards(source, { collection: 'bench' });
  let images = 0;
  for await (const s of plan) images += s.records.length;
  const secs = (performance.now() - t0) / 1000;
  return { rate: images / secs, images, problems: plan.summary.problems, secs };
}

async function bareRead(file: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const line of createInterface({
    input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  })) {
    JSON.parse(line);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const rows: [string, string, string][] = [];
try {
  const jsonl = join(dir, 'm.jsonl');
  await writeLines(jsonl, N, (i) => JSON.stringify(row(i)));
  const small = join(dir, 'small.jsonl');
  await writeLines(small, N_FILES, (i) => JSON.stringify(row(i)));
  const csv = join(dir, 'small.csv');
  await writeLines(
    csv,
    N_FILES,
    (i) =>
      `${rel(i)},"a photo of thing number ${i}, on a table",${i % 10 === 0 ? '"[{""box"":[1,2,30,40],""category"":""thing""}]"' : ''}`,
    'uri,alt_text,boxes',
  );
  const parquet = join(dir, 'small.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT * FROM read_json('${small}', format = 'newline_delimited', columns = {uri: 'VARCHAR', alt_text: 'VARCHAR'})) TO '${parquet}' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  for (let i = 0; i < N_FILES; i++) {
    if (i % 1000 === 0) mkdirSync(join(dir, rel(i), '..'), { recursive: true });
    writeFileSync(join(dir, rel(i)), '');
  }

  const ceiling = await bareRead(jsonl);
  const fast = await timePlan(new JsonlManifestSource(jsonl, { checkFiles: false }));
  const rss = process.resourceUsage().maxRSS / 1024;
  rows.push([
    `plan ${fmt(N)}-line JSONL, no file checks: ${fmt(fast.rate)} images/s (${fast.secs.toFixed(1)} s)`,
    `floor ${fmt(FLOOR)}/s`,
    (fast.rate / FLOOR).toFixed(2),
  ]);
  rows.push([
    `same plan: ${fmt(fast.rate)} images/s`,
    `bare readline + JSON.parse of the file: ${fmt(ceiling)} lines/s`,
    (fast.rate / ceiling).toFixed(2),
  ]);
  const checked = await timePlan(new JsonlManifestSource(small));
  if (checked.problems) throw new Error(`expected no problems with real files, got ${checked.problems}`);
  rows.push([
    `plan ${fmt(N_FILES)}-line JSONL, every file checked on disk: ${fmt(checked.rate)} images/s`,
    `floor ${fmt(FLOOR)}/s`,
    (checked.rate / FLOOR).toFixed(2),
  ]);
  const c = await timePlan(new CsvManifestSource(csv));
  rows.push([
    `plan ${fmt(N_FILES)}-row CSV (csv-parse), files checked: ${fmt(c.rate)} images/s`,
    `floor ${fmt(FLOOR)}/s`,
    (c.rate / FLOOR).toFixed(2),
  ]);
  const p = await timePlan(new ParquetManifestSource(parquet));
  rows.push([
    `plan ${fmt(N_FILES)}-row Parquet (DuckDB), files checked: ${fmt(p.rate)} images/s`,
    `floor ${fmt(FLOOR)}/s`,
    (p.rate / FLOOR).toFixed(2),
  ]);
  rows.push([`peak RSS after the ${fmt(N)}-line plan: ${rss.toFixed(0)} MiB`, '-', '-']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log('figure | anchor | ratio');
for (const r of rows) console.log(r.join(' | '));

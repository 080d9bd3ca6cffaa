/**
 * Parquet writers on the same records: `npm run bench -- parquet-writers [-- --rows N]`
 * (default 1,000,000 rows of region_text and of text). Each writer runs in its own child process
 * on identical, seeded records (built before the clock starts), writes SNAPPY, and the file is
 * read back by DuckDB to check row count and column types. DuckDB (appender + COPY) is the anchor.
 * Throughput is rows per second of the writer process's CPU time (wall time beside it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { COLUMNS, duckdbType } from '../schemas/columns.ts';
import { regionTextRecords, textPhraseRegionRecords, textRecords } from '../test/helpers/sample-records.ts';
import * as candidates from './parquet-candidates.ts';

const WRITERS: Record<string, keyof typeof candidates | 'fld'> = {
  'duckdb (anchor)': 'duckdb',
  'hyparquet-writer': 'hyparquetWriter',
  'parquet-wasm+arrow': 'parquetWasm',
  '@dsnp/parquetjs': 'dsnpParquetjs',
  parquetjs: 'parquetjs',
  'fld encodeShard': 'fld',
};
// text_phrase_region (list of lists) runs at a tenth of the rows: it is there to check nested types.
const KINDS = ['region_text', 'text', 'text_phrase_region'] as const;
type Kind = (typeof KINDS)[number];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * One writer on `rows` records. With `shardRows`, the records are written as consecutive shards of
 * that size in one process, the first untimed (JIT warm-up), as a worker writes shard after shard.
 */
async function child(writer: string, kind: Kind, rows: number, path: string, shardRows?: number): Promise<void> {
  const make = { text: textRecords, region_text: regionTextRecords, text_phrase_region: textPhraseRegionRecords }[kind];
  const records = make(rows) as unknown as Record<string, unknown>[];
  let run: (rs: Record<string, unknown>[]) => Promise<unknown>;
  if (writer === 'fld') {
    const { encodeShard } = await import('../pipeline/shards/encode.ts');
    const { writeFileSync } = await import('node:fs');
    run = async (rs) => writeFileSync(path, encodeShard(kind, rs as never));
  } else {
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the writer is chosen by name on the command line
    const w = candidates[writer as keyof typeof candidates];
    run = (rs) => w(rs, COLUMNS[kind], path);
  }
  const chunks = shardRows
    ? Array.from({ length: Math.ceil(rows / shardRows) }, (_, i) => records.slice(i * shardRows, (i + 1) * shardRows))
    : [records];
  if (shardRows) await run(chunks.shift()!);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const c of chunks) await run(c);
  const c = process.cpuUsage(c0);
  // CPU time (all threads of the process, DuckDB's workers included) as well as wall time: on a
  // shared machine wall time swings with other people's load, CPU time much less.
  process.stdout.write(
    JSON.stringify({
      ms: performance.now() - t0,
      cpuMs: (c.user + c.system) / 1000,
      rows: chunks.reduce((a, x) => a + x.length, 0),
    }) + '\n',
  );
}

async function readBack(path: string, kind: Kind): Promise<{ rows: number; typesOk: boolean; nested: string }> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowObjects();
  const n = Number((await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${path}')`)).getRowObjects()[0].n);
  con.closeSync();
  db.closeSync();
  const got = new Map(desc.map((d) => [String(d.column_name), String(d.column_type).replaceAll('"', '')]));
  const wrong = COLUMNS[kind].filter((c) => got.get(c.name) !== duckdbType(c.type));
  const nested = COLUMNS[kind]
    .filter((c) => typeof c.type !== 'string')
    .map((c) => `${c.name}:${got.get(c.name)}`)
    .join(' ');
  return {
    rows: n,
    typesOk: wrong.length === 0,
    nested: wrong.length ? `WRONG ${wrong.map((c) => `${c.name}=${got.get(c.name)}`).join(' ')}` : nested,
  };
}

async function main(): Promise<void> {
  const rows = Number(arg('--rows') ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'fld-pq-bench-'));
  const self = fileURLToPath(import.meta.url);
  console.log(
    `Parquet writers, ${rows.toLocaleString('en')} rows per kind, SNAPPY, dictionary where the library allows; each in its own process`,
  );
  try {
    for (const kind of KINDS) {
      const n = kind === 'text_phrase_region' ? Math.max(1, Math.round(rows / 10)) : rows;
      const results: {
        name: string;
        ms: number;
        cpuMs: number;
        bytes: number;
        check: Awaited<ReturnType<typeof readBack>> | string;
      }[] = [];
      for (const [name, writer] of Object.entries(WRITERS)) {
        const path = join(dir, `${kind}-${writer}.parquet`);
        const r = spawnSync(
          process.execPath,
          [
            '--max-old-space-size=12000',
            '--import',
            'tsx',
            self,
            '--child',
            writer,
            '--kind',
            kind,
            '--rows',
            String(n),
            '--out',
            path,
          ],
          { encoding: 'utf8' },
        );
        const line = r.stdout.trim().split('\n').pop() ?? '';
        if (r.status !== 0 || !line.startsWith('{')) {
          results.push({
            name,
            ms: NaN,
            cpuMs: NaN,
            bytes: NaN,
            check: `failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`,
          });
          continue;
        }
        const t = JSON.parse(line);
        results.push({ name, ms: t.ms, cpuMs: t.cpuMs, bytes: statSync(path).size, check: await readBack(path, kind) });
      }
      const anchor = results[0];
      console.log(
        `\n${kind} (${n.toLocaleString('en')} rows; load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')})`,
      );
      console.log(
        'writer | rows/s (CPU time) | rows/s (wall) | MB | throughput ratio vs DuckDB (CPU; wall) | size ratio vs DuckDB | DuckDB read-back (rows, nested types)',
      );
      console.log('--- | --- | --- | --- | --- | --- | ---');
      for (const r of results) {
        const rps = n / (r.cpuMs / 1000);
        const wall = n / (r.ms / 1000);
        const check =
          typeof r.check === 'string'
            ? r.check
            : `${r.check.rows === n ? 'ok' : `ROWS ${r.check.rows}`}, ${r.check.typesOk ? 'types ok' : 'types differ'}: ${r.check.nested}`;
        const ratio = `${(anchor.cpuMs / r.cpuMs).toFixed(2)}; ${(anchor.ms / r.ms).toFixed(2)}`;
        console.log(
          `${r.name} | ${Math.round(rps).toLocaleString('en')} | ${Math.round(wall).toLocaleString('en')} | ${(r.bytes / 1e6).toFixed(1)} | ${ratio} | ${(r.bytes / anchor.bytes).toFixed(2)} | ${check}`,
        );
      }
      // The project's convention, for the writer the shards use: figure | anchor | ratio.
      const fld = results.find((r) => r.name === 'fld encodeShard')!;
      const rate = (r: { cpuMs: number }) => Math.round(n / (r.cpuMs / 1000)).toLocaleString('en');
      console.log(`\nfigure | anchor | ratio`);
      console.log(`--- | --- | ---`);
      console.log(
        `${kind} encodeShard ${rate(fld)} rows/s (CPU) | DuckDB ${rate(anchor)} rows/s (CPU) | ${(anchor.cpuMs / fld.cpuMs).toFixed(2)}`,
      );
      console.log(
        `${kind} encodeShard ${(fld.bytes / 1e6).toFixed(1)} MB | DuckDB ${(anchor.bytes / 1e6).toFixed(1)} MB | ${(fld.bytes / anchor.bytes).toFixed(2)}`,
      );
    }
    // Shard-sized writes in a warm process: what a merge worker does, shard after shard.
    const shardRows = Math.max(1, Math.min(20_000, Math.round(rows / 50)));
    console.log(
      `\nshard-sized: 10 shards of ${shardRows.toLocaleString('en')} rows after one untimed warm-up shard, one process per writer`,
    );
    console.log('figure | anchor | ratio');
    console.log('--- | --- | ---');
    for (const kind of ['region_text', 'text'] as const) {
      const t: Record<string, { cpuMs: number; rows: number }> = {};
      for (const writer of ['duckdb', 'fld']) {
        const path = join(dir, `${kind}-${writer}-shards.parquet`);
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            self,
            '--child',
            writer,
            '--kind',
            kind,
            '--rows',
            String(shardRows * 11),
            '--shard-rows',
            String(shardRows),
            '--out',
            path,
          ],
          { encoding: 'utf8' },
        );
        const line = r.stdout.trim().split('\n').pop() ?? '';
        if (r.status !== 0 || !line.startsWith('{'))
          throw new Error(`${writer} ${kind} shards failed: ${r.stderr.slice(-300)}`);
        t[writer] = JSON.parse(line);
      }
      const rate = (x: { cpuMs: number; rows: number }) => Math.round(x.rows / (x.cpuMs / 1000)).toLocaleString('en');
      console.log(
        `${kind} encodeShard ${rate(t.fld)} rows/s (CPU) | DuckDB ${rate(t.duckdb)} rows/s (CPU) | ${(t.duckdb.cpuMs / t.fld.cpuMs).toFixed(2)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  await child(
    arg('--child')!,
    arg('--kind') as Kind,
    Number(arg('--rows')),
    arg('--out')!,
    arg('--shard-rows') ? Number(arg('--shard-rows')) : undefined,
  );
} else {
  await main();
}

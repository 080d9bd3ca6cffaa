/**
 * Reading a shard back into JS records: `node --import tsx bench/parquet-read.bench.ts [--rows N]`
 * (default 1,000,000 region_text rows, written once by encodeShard). The figure is hyparquet through
 * decodeShard (what the pipeline uses); the anchor is DuckDB reading the same file into JS objects.
 * Footer-only open (what `fld inspect` and the round counts do) is timed too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { bytesBuffer, decodeShard, openShard } from '../pipeline/shards/decode.ts';
import { encodeShard } from '../pipeline/shards/encode.ts';
import { regionTextRecords } from '../test/helpers/sample-records.ts';

const i = process.argv.indexOf('--rows');
const rows = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'fld-pq-read-'));
const path = join(dir, 'region_text.parquet');
try {
  writeFileSync(path, encodeShard('region_text', regionTextRecords(rows)));
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };

  const bytes = readFileSync(path);
  await openShard(bytesBuffer(bytes), path); // warm-up: module-level schema setup, JIT
  const footer = await time(async () => {
    await openShard(bytesBuffer(bytes), path);
  });
  let n = 0;
  const hyp = await time(async () => {
    n = (await decodeShard(bytes, path)).rows.length;
  });
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  let m = 0;
  const duck = await time(async () => {
    m = (await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJS().length;
  });
  const duckFooter = await time(async () => {
    await con.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata('${path}')`);
  });
  con.closeSync();
  db.closeSync();
  if (n !== rows || m !== rows) throw new Error(`read ${n} (hyparquet) and ${m} (DuckDB) rows, wrote ${rows}`);

  console.log(`Reading ${rows.toLocaleString('en')} region_text rows into JS objects (file written by encodeShard)`);
  console.log('figure | anchor | ratio');
  console.log('--- | --- | ---');
  const rps = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en');
  console.log(
    `hyparquet decodeShard ${rps(hyp)} rows/s | DuckDB read_parquet -> getRowObjectsJS ${rps(duck)} rows/s | ${(duck / hyp).toFixed(2)}`,
  );
  console.log(
    `openShard (footer + checks) ${footer.toFixed(1)} ms | DuckDB parquet_file_metadata ${duckFooter.toFixed(1)} ms | ${(duckFooter / footer).toFixed(2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

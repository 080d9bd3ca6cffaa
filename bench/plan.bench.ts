/**
 * Shard planning (`fld enqueue`'s planning part, everything but Redis) on CPU time. A 1,000,000-line
 * JSONL manifest, shards of 1000, ids from URIs, no image headers read:
 *   - planning (`writeImageShards`: plan + every image shard encoded and written to a local folder)
 *     in CPU microseconds per image, beside the bare read of the same file (readline + JSON.parse)
 *     measured in the same run; floor: at most 4x the bare read (exit 1 above);
 *   - the same shards' bytes put alone (the storage's share: local storage, as many in flight as
 *     planning keeps) beside the same bare read, printed, not judged;
 *   - the plan alone (records in shards, nothing written) beside the same bare read;
 *   - the image shards of the first 100,000 images encoded alone (image-encode.ts), per image;
 *   - the planner's image ids a batch at a time (uri-ids.ts) beside one crypto.hash per URI, printed;
 *   - the same with every file checked on disk (existence + confinement; 100k real empty files),
 *     and CSV and Parquet manifests of the same rows: images per CPU second against 20,000/s.
 * CPU time of the whole process (DuckDB's and libuv's threads included), best of interleaved rounds;
 * the planning row and its anchor also print their kernel (system) part.
 * Planning includes the local storage's put of every shard (temp file, fsync, rename, the folder's
 * fsync shared by the puts in flight): its own row says what it costs in the same run, since the
 * development VM's kernel time for creating a file swings several-fold between runs and folders
 * (docs/decisions.md, "Sources and shard planning").
 *   npm run bench -- plan            (FLD_BENCH_PLAN_N=200000 for a quick run; FLD_BENCH_PLAN_ROUNDS, default 3)
 */
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { SHARD_PUTS_IN_FLIGHT, writeImageShards } from '../pipeline/engine/enqueue.ts';
import { CsvManifestSource } from '../pipeline/sources/manifest-csv.ts';
import { JsonlManifestSource } from '../pipeline/sources/manifest-jsonl.ts';
import { ParquetManifestSource } from '../pipeline/sources/manifest-parquet.ts';
import { imageIdFromNormalUri } from '../pipeline/sources/ids.ts';
import { type PlannedShard, planShards } from '../pipeline/sources/plan.ts';
import { encodeShard } from '../pipeline/shards/encode.ts';
import { UriIdHasher } from '../pipeline/sources/uri-ids.ts';
import type { Source } from '../pipeline/sources/types.ts';
import { openStorage } from '../pipeline/storage/open-storage.ts';

const N = Number(process.env.FLD_BENCH_PLAN_N ?? 1_000_000);
const N_FILES = Math.min(N, 100_000);
const ROUNDS = Number(process.env.FLD_BENCH_PLAN_ROUNDS ?? 3);
const FLOOR = 20_000;
const MAX_RATIO = 4;
/** URIs per hashing call: about one 64 KiB JSONL chunk's entries, as the planner passes them. */
const ID_BATCH = 600;
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

/** CPU milliseconds of the whole process (every thread) while `f` runs; `kernel.ms` gets its system part. */
async function cpuMs(f: () => Promise<unknown>, kernel?: { ms: number }): Promise<number> {
  const a = process.cpuUsage();
  await f();
  const b = process.cpuUsage(a);
  if (kernel) kernel.ms = b.system / 1000;
  return (b.user + b.system) / 1000;
}

/** The best (least CPU) of a figure's interleaved runs, with its kernel part. */
class Best {
  ms = Number.POSITIVE_INFINITY;
  kernelMs = 0;
  async run(f: () => Promise<unknown>): Promise<void> {
    const k = { ms: 0 };
    const ms = await cpuMs(f, k);
    if (ms < this.ms) {
      this.ms = ms;
      this.kernelMs = k.ms;
    }
  }
}

async function plan(source: Source): Promise<{ images: number; problems: number }> {
  const p = planShards(source, { collection: 'bench' });
  let images = 0;
  for await (const s of p) images += s.records.length;
  return { images, problems: p.summary.problems };
}

async function bareRead(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({
    input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  })) {
    JSON.parse(line);
    n++;
  }
  return n;
}

/** Planning as `fld enqueue` runs it, minus Redis: the plan, and each image shard encoded and stored. */
async function planAndWrite(file: string, data: string): Promise<number> {
  rmSync(data, { recursive: true, force: true });
  const storage = openStorage(data);
  const sum = await writeImageShards(storage, new JsonlManifestSource(file, { checkFiles: false }), {
    collection: 'bench',
    shardSize: 1000,
  });
  return sum.images;
}

/**
 * The storage's share of planning, as the file system charges it: the same shard bytes put with the
 * same durable write and window. File creation's kernel time varies several-fold between folders
 * and runs on the development VM (0.03-1 ms per file), so the row shows how much of the planning
 * figure it was in this run.
 */
async function putAlone(shards: readonly Uint8Array[], to: string): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  const storage = openStorage(to);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < shards.length; i++) {
    inFlight.push(storage.put(`bench/images/${String(i).padStart(6, '0')}.parquet`, shards[i]));
    if (inFlight.length >= SHARD_PUTS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const rows: [string, string, string][] = [];
const failures: string[] = [];
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

  // interleaved rounds, best of each: the anchor and the figures see the same machine
  const bareBest = new Best();
  const planningBest = new Best();
  const planOnlyBest = new Best();
  const putsOnlyBest = new Best();
  const data = join(dir, 'data');
  let shardBytes: Buffer[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await bareBest.run(async () => {
      if ((await bareRead(jsonl)) !== N) throw new Error('bare read: wrong line count');
    });
    await planningBest.run(async () => {
      if ((await planAndWrite(jsonl, data)) !== N) throw new Error('planning: wrong image count');
    });
    if (r === 0) {
      const images = join(data, 'bench', 'images');
      shardBytes = readdirSync(images)
        .filter((f) => f.endsWith('.parquet'))
        .map((f) => readFileSync(join(images, f)));
    }
    await putsOnlyBest.run(() => putAlone(shardBytes, join(dir, 'puts')));
    await planOnlyBest.run(async () => {
      if ((await plan(new JsonlManifestSource(jsonl, { checkFiles: false }))).images !== N)
        throw new Error('plan: wrong image count');
    });
  }
  rmSync(data, { recursive: true, force: true });
  rmSync(join(dir, 'puts'), { recursive: true, force: true });
  const rss = process.resourceUsage().maxRSS / 1024;
  const perImage = (ms: number) => `${((ms * 1000) / N).toFixed(2)} us CPU/image`;
  const kernel = (b: Best) => `(kernel ${((b.kernelMs * 1000) / N).toFixed(2)})`;
  const bare = bareBest.ms;
  const planning = planningBest.ms;
  const putsOnly = putsOnlyBest.ms;
  const planOnly = planOnlyBest.ms;
  const bareCell = `bare readline + JSON.parse of the same file: ${perImage(bare)}`;
  rows.push([
    `planning ${fmt(N)}-line JSONL (plan + image shards written), no file checks: ${perImage(planning)} ${kernel(planningBest)}`,
    `${bareCell} ${kernel(bareBest)}`,
    `${(planning / bare).toFixed(2)} (floor <= ${MAX_RATIO})`,
  ]);
  if (planning / bare > MAX_RATIO) failures.push(`planning costs ${(planning / bare).toFixed(2)}x the bare read`);
  rows.push([
    `the same ${fmt(shardBytes.length)} image shards' bytes put alone (local storage, ${SHARD_PUTS_IN_FLIGHT} in flight as planning keeps them): ${perImage(putsOnly)}`,
    bareCell,
    (putsOnly / bare).toFixed(2),
  ]);
  rows.push([
    `plan alone (records in shards, nothing written): ${perImage(planOnly)}`,
    bareCell,
    (planOnly / bare).toFixed(2),
  ]);
  // the other readers: images per CPU second (one run each) against the floor
  const onCpu = async (what: string, source: Source) => {
    let out = { images: 0, problems: 0 };
    const ms = await cpuMs(async () => {
      out = await plan(source);
    });
    if (out.problems) throw new Error(`${what}: expected no problems with real files, got ${out.problems}`);
    const rate = out.images / (ms / 1000);
    rows.push([`${what}: ${fmt(rate)} images per CPU second`, `floor ${fmt(FLOOR)}/s`, (rate / FLOOR).toFixed(2)]);
    if (rate < FLOOR) failures.push(`${what} below ${fmt(FLOOR)} images per CPU second`);
  };
  await onCpu(`plan ${fmt(N_FILES)}-line JSONL, every file checked on disk`, new JsonlManifestSource(small));
  await onCpu(`plan ${fmt(N_FILES)}-row CSV (csv-parse), files checked`, new CsvManifestSource(csv));
  await onCpu(`plan ${fmt(N_FILES)}-row Parquet (DuckDB), files checked`, new ParquetManifestSource(parquet));
  rows.push([`peak RSS after the ${fmt(N)}-line planning: ${rss.toFixed(0)} MiB`, '-', '-']);
  // the image writer alone: the first 100,000 images' shards, planned into memory, encoded again and again
  const planned: PlannedShard[] = [];
  for await (const s of planShards(new JsonlManifestSource(small, { checkFiles: false }), { collection: 'bench' }))
    planned.push(s);
  const encodingBest = new Best();
  for (let r = 0; r < ROUNDS; r++)
    await encodingBest.run(async () => {
      for (const s of planned) encodeShard('image', s.records, { collection: 'bench', shard: String(s.shard) });
    });
  const encoding = encodingBest.ms;
  rows.push([
    `image shards encoded alone (image-encode.ts, ${fmt(planned.length)} shards of the same rows): ${((encoding * 1000) / N_FILES).toFixed(2)} us CPU/image`,
    bareCell,
    ((encoding * 1000) / N_FILES / ((bare * 1000) / N)).toFixed(2),
  ]);
  // the planner's ids a batch at a time beside one crypto.hash per URI, the same absolute URIs
  const uris = Array.from({ length: N }, (_, i) => join(dir, rel(i)));
  const hasher = UriIdHasher.create();
  if (hasher) {
    const batchedBest = new Best();
    const oneByOneBest = new Best();
    for (let r = 0; r < ROUNDS; r++) {
      await batchedBest.run(async () => {
        for (let i = 0; i < N; i += ID_BATCH) hasher.hash(uris.slice(i, i + ID_BATCH));
      });
      await oneByOneBest.run(async () => {
        for (let i = 0; i < N; i++) imageIdFromNormalUri(uris[i]);
      });
    }
    const batched = batchedBest.ms;
    const oneByOne = oneByOneBest.ms;
    rows.push([
      `image ids of ${fmt(N)} URIs, ${ID_BATCH} a call (uri-ids.ts, WebAssembly SIMD): ${((batched * 1000) / N).toFixed(3)} us CPU/id`,
      `one crypto.hash per URI (ids.ts): ${((oneByOne * 1000) / N).toFixed(3)} us CPU/id`,
      (batched / oneByOne).toFixed(2),
    ]);
  } else rows.push(['image ids a batch at a time: not measured (WebAssembly SIMD does not compile here)', '-', '-']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log('figure | anchor | ratio');
for (const r of rows) console.log(r.join(' | '));
if (failures.length) {
  console.error(`floor missed: ${failures.join('; ')}`);
  process.exit(1);
}

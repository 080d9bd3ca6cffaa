/**
 * Storage throughput against plain anchors measured in the same run: LocalStorage put/getStream
 * vs Node fs streams (+ fsync), S3Storage put/getStream on s3rver vs one raw PutObject/GetObject
 * of the same bytes, and the time a refused endpoint takes to fail. BENCH_STORAGE_MB (default 100)
 * sets the object size, BENCH_STORAGE_REPS (default 3) the runs per figure (best is kept).
 * Small puts (a shard, a done marker) are bound by syscalls, not bytes: CPU per LocalStorage.put of
 * 40 KB beside the same syscalls made synchronously (open, write, fsync, close, rename, folder
 * fsync: what they cost with no trip through libuv's thread pool).
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalStorage } from '../pipeline/storage/local.ts';
import { S3Storage } from '../pipeline/storage/s3.ts';
import { startS3rver } from '../test/helpers/s3rver.ts';
import { bytes, sha256, sha256Of } from '../test/helpers/bytes.ts';

const MB = Number(process.env.BENCH_STORAGE_MB ?? 100);
const n = MB * 1024 * 1024;
const data = bytes(n, 42);
const want = sha256(data);
const chunks = () =>
  Readable.from(
    (function* () {
      for (let i = 0; i < n; i += 1 << 20) yield data.subarray(i, i + (1 << 20));
    })(),
  );

async function once(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}
/** Best of REPS runs, figure and anchor interleaved so that page cache and noise hit both alike. */
const REPS = Number(process.env.BENCH_STORAGE_REPS ?? 3);
async function pair(f: () => Promise<unknown>, g: () => Promise<unknown>): Promise<[number, number]> {
  let a = Infinity;
  let b = Infinity;
  for (let i = 0; i < REPS; i++) {
    b = Math.min(b, await once(g));
    a = Math.min(a, await once(f));
  }
  return [a, b];
}
const time = once;
async function drain(s: AsyncIterable<Uint8Array>): Promise<void> {
  const { hash } = await sha256Of(s);
  if (hash !== want) throw new Error('read back different bytes');
}
const rows: [string, string, string][] = [];
const rate = (sec: number) => `${(MB / sec).toFixed(0)} MB/s`;
const row = (figure: string, a: number, anchor: string, b: number) =>
  rows.push([`${figure}: ${rate(a)}`, `${anchor}: ${rate(b)}`, (b / a).toFixed(2)]);

const dir = await mkdtemp(join(tmpdir(), 'fld-bench-storage-'));
const s3 = await startS3rver();
try {
  const local = new LocalStorage(join(dir, 'local'));
  const anchorFile = join(dir, 'anchor.bin');
  const [lPut, aPut] = await pair(
    () => local.put('b/obj.bin', chunks()),
    async () => {
      await pipeline(chunks(), createWriteStream(anchorFile));
      const fh = await open(anchorFile, 'r+');
      await fh.sync();
      await fh.close();
    },
  );
  row(`LocalStorage.put ${MB} MiB stream (temp, fsync, rename)`, lPut, 'fs write stream + fsync', aPut);
  const [lGet, aGet] = await pair(
    async () => drain(await local.getStream('b/obj.bin')),
    () => drain(createReadStream(anchorFile)),
  );
  row(`LocalStorage.getStream ${MB} MiB`, lGet, 'fs.createReadStream', aGet);

  const st = s3.storage;
  const [sPut, raw] = await pair(
    () => st.put('b/obj.bin', chunks()),
    () => st.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'anchor.bin', Body: data, ContentLength: n })),
  );
  row(`S3Storage.put ${MB} MiB stream on s3rver (multipart 8 MiB x 4)`, sPut, 'one PutObject of a Buffer', raw);
  const [sGet, rawGet] = await pair(
    async () => drain(await st.getStream('b/obj.bin')),
    async () =>
      drain((await st.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'anchor.bin' }))).Body as Readable),
  );
  row(`S3Storage.getStream ${MB} MiB on s3rver`, sGet, 'raw GetObject', rawGet);

  // Peak resident-memory growth while a stream put runs (s3rver lives in another process).
  const peak = async (f: () => Promise<unknown>): Promise<number> => {
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let top = base;
    const t = setInterval(() => {
      top = Math.max(top, process.memoryUsage().rss);
    }, 5);
    await f();
    clearInterval(t);
    top = Math.max(top, process.memoryUsage().rss);
    return (top - base) / (1 << 20);
  };
  const lMem = await peak(() => local.put('b/mem.bin', chunks()));
  const sMem = await peak(() => st.put('b/mem.bin', chunks()));
  rows.push([
    `peak RSS growth during a ${MB} MiB stream put: LocalStorage ${lMem.toFixed(0)} MiB, S3Storage ${sMem.toFixed(0)} MiB`,
    `object size ${MB} MiB`,
    (sMem / MB).toFixed(2),
  ]);

  // small puts: CPU time of the process, figure and anchor interleaved, best of REPS
  const SMALL = 300;
  const small = data.subarray(0, 40_000);
  const cpuUs = async (f: () => Promise<void> | void): Promise<number> => {
    const a = process.cpuUsage();
    await f();
    const b = process.cpuUsage(a);
    return (b.user + b.system) / SMALL;
  };
  const smallDir = join(dir, 'small-anchor');
  mkdirSync(smallDir);
  let ours = Infinity;
  let bare = Infinity;
  for (let r = 0; r < REPS; r++) {
    bare = Math.min(
      bare,
      await cpuUs(() => {
        for (let i = 0; i < SMALL; i++) {
          const tmp = join(smallDir, `.${i}.tmp`);
          const fd = openSync(tmp, 'wx');
          writeSync(fd, small);
          fsyncSync(fd);
          closeSync(fd);
          renameSync(tmp, join(smallDir, `${i}`));
          const d = openSync(smallDir, 'r');
          fsyncSync(d);
          closeSync(d);
        }
      }),
    );
    ours = Math.min(
      ours,
      await cpuUs(async () => {
        for (let i = 0; i < SMALL; i++) await local.put(`small/${r}/${i}`, small);
      }),
    );
  }
  rows.push([
    `LocalStorage.put of 40 KB, ${SMALL} puts: ${ours.toFixed(0)} us CPU/put`,
    `the same syscalls made synchronously: ${bare.toFixed(0)} us CPU/put`,
    (ours / bare).toFixed(2),
  ]);

  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const refused = new S3Storage({
    bucket: 'b',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const one = new S3Storage({
    bucket: 'b',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  const tRefused = await time(() => refused.get('k').catch(() => {}));
  const tOne = await time(() => one.get('k').catch(() => {}));
  rows.push([
    `refused endpoint, 5 attempts with backoff: ${(tRefused * 1000).toFixed(0)} ms to fail`,
    `1 attempt: ${(tOne * 1000).toFixed(0)} ms`,
    (tRefused / tOne).toFixed(1),
  ]);
  await refused.close();
  await one.close();
} finally {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
}

console.log(
  `best of ${REPS}; ratio = figure / anchor (throughput rows: above 1 is faster than the anchor; memory row: growth / object size; last row: time / time)`,
);
console.log('figure | anchor | ratio');
console.log('---|---|---');
for (const r of rows) console.log(r.join(' | '));

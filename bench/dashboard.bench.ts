/**
 * `fld dashboard`: how long it takes to come up, to answer the board's queue poll and to build the
 * stats page, each against the nearest thing without the dashboard, measured in this run:
 * - start (URL printed) vs `fld --help` (node + tsx + the CLI, no dashboard imports);
 * - `/queues/api/queues` (what the board polls) vs `getJobCounts` of the same queues straight from BullMQ;
 * - `/stats?round=1` on the stats tests' fixture round, first (cold: DuckDB and Vega load) and warm,
 *   vs `fld stats --html` of the same round as a process (what a user runs instead).
 * Real Redis at 127.0.0.1:6379, a fresh queue prefix, FLD_BENCH_JOBS waiting jobs per queue (default 200).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ENGINE_QUEUES } from '../pipeline/dashboard/queues.ts';
import { startDashboardChild } from '../test/dashboard/child.ts';
import { writeFixture } from '../test/stats/fixture-rounds.ts';

const JOBS = Number(process.env.FLD_BENCH_JOBS ?? 200);
const RUNS = 5;
const bin = fileURLToPath(new URL('../bin/fld.js', import.meta.url));
const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `{fldbench-${randomBytes(4).toString('hex')}}`;
const root = mkdtempSync(join(tmpdir(), 'fld-dashboard-bench-'));
await writeFixture(root);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function ms(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}
const runFld = (args: string[]) =>
  new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fld ${args.join(' ')} exited ${code}`))));
  });

const queues = ENGINE_QUEUES.map((n) => new Queue(n, { connection, prefix }));
for (const q of queues)
  await q.addBulk(Array.from({ length: JOBS }, (_, i) => ({ name: `shard-${i}`, data: { shard: i } })));

const help: number[] = [];
const start: number[] = [];
for (let i = 0; i < RUNS; i++) {
  help.push(await ms(() => runFld(['--help'])));
  let child: Awaited<ReturnType<typeof startDashboardChild>> | undefined;
  start.push(
    await ms(async () => {
      child = await startDashboardChild(['--queue-prefix', prefix, '--root', root]);
    }),
  );
  await child!.stop();
}

const dash = await startDashboardChild(['--queue-prefix', prefix, '--root', root]);
const poll: number[] = [];
const direct: number[] = [];
for (let i = 0; i < RUNS * 4; i++) {
  poll.push(
    await ms(async () => {
      await (await fetch(`${dash.url}queues/api/queues`)).text();
    }),
  );
  direct.push(await ms(() => Promise.all(queues.map((q) => q.getJobCounts()))));
}
const cold = await ms(async () => {
  await (await fetch(`${dash.url}stats?round=1`)).text();
});
const warm: number[] = [];
const cli: number[] = [];
for (let i = 0; i < RUNS; i++) {
  warm.push(
    await ms(async () => {
      await (await fetch(`${dash.url}stats?round=1`)).text();
    }),
  );
  cli.push(await ms(() => runFld(['stats', '--root', root, '--round', '1', '--html', join(root, 'r.html')])));
}
await dash.stop();

const f = (x: number) => `${x.toFixed(0)} ms`;
console.log(`\n${queues.length} queues x ${JOBS} waiting jobs; medians of ${RUNS} (poll: ${RUNS * 4}) runs\n`);
console.log('figure | anchor | ratio');
console.log(
  `dashboard start to URL: ${f(median(start))} | fld --help: ${f(median(help))} | ${(median(start) / median(help)).toFixed(2)}`,
);
console.log(
  `/queues/api/queues: ${f(median(poll))} | getJobCounts of the ${queues.length} queues: ${f(median(direct))} | ${(median(poll) / median(direct)).toFixed(1)}`,
);
console.log(
  `/stats?round=1 cold: ${f(cold)} | fld stats --html process: ${f(median(cli))} | ${(cold / median(cli)).toFixed(2)}`,
);
console.log(
  `/stats?round=1 warm: ${f(median(warm))} | fld stats --html process: ${f(median(cli))} | ${(median(warm) / median(cli)).toFixed(2)}`,
);

for (const q of queues) {
  await q.obliterate({ force: true });
  await q.close();
}
const redis = new Redis(connection);
const keys = await redis.keys(`${prefix}:*`);
if (keys.length) await redis.del(...keys);
await redis.quit();
rmSync(root, { recursive: true, force: true });

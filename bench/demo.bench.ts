/**
 * The main job's time: `npm run bench -- demo` (FLD_BENCH_DEMO_IMAGES, default 120; FLD_BENCH_DEMO_ROUNDS
 * passes --rounds when the demo has refinement rounds). Runs `fld demo` into a temp folder and
 * reads its step timings; anchor: round 0 of the same world in one process (`fld run`, no Redis, no
 * workers), so the ratio is what the workers, the queue and the polling cost over the bare stages.
 * The budget for the whole demo is 15 minutes on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FLD = fileURLToPath(new URL('../bin/fld.js', import.meta.url));
const N = process.env.FLD_BENCH_DEMO_IMAGES ?? '120';
const ROUNDS = process.env.FLD_BENCH_DEMO_ROUNDS;
const tmp = mkdtempSync(join(tmpdir(), 'fld-demo-bench-'));
const run = (args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [FLD, ...args], { encoding: 'utf8', env: { ...process.env, FLD_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`fld ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { out: r.stdout, seconds: (performance.now() - t0) / 1000 };
};
try {
  const demo = run(['demo', '--out', join(tmp, 'demo'), '--images', N, ...(ROUNDS ? ['--rounds', ROUNDS] : [])]);
  const timings = demo.out.slice(demo.out.lastIndexOf('\nstep timings\n'));
  console.log(timings.trim());
  const stepS = (re: RegExp) => Number(new RegExp(`${re.source}\\s+([\\d.]+) s`).exec(timings)?.[1] ?? NaN);
  // enqueue (shards written, flows added) + the wait: what `fld run` does in one process
  const round0Workers = stepS(/enqueue round 0/) + stepS(/round 0 on the workers[^\n]*?/);
  const total = stepS(/total/);

  const config = join(tmp, 'local.config.json');
  writeFileSync(config, JSON.stringify({ storage: join(tmp, 'local'), shardSize: 40, specialists: { ocr: 'ppocr-v4' } }));
  const local = run(['run', join(tmp, 'demo', 'world', 'collection', 'manifest.jsonl'), '--collection', 'demo', '--config', config]);

  console.log('\nfigure | anchor | ratio');
  console.log(`round 0 through workers (enqueue + wait) ${round0Workers.toFixed(1)} s | round 0 in one process (fld run, incl. start-up) ${local.seconds.toFixed(1)} s | ${(round0Workers / local.seconds).toFixed(2)}`);
  console.log(`whole demo (${N} images) ${total.toFixed(1)} s | budget 900 s | ${(total / 900).toFixed(2)}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

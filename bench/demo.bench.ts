/**
 * The main job's time: `npm run bench -- demo` (FLD_BENCH_DEMO_IMAGES, default 120; FLD_BENCH_DEMO_ROUNDS
 * passes --rounds when the demo has refinement rounds). Runs `fld demo` into a temp folder and
 * reads its step timings; anchor: round 0 of the same world in one process (`fld run`, no Redis, no
 * workers; before and after the demo), so the ratio is what the worker processes (start-up, model
 * load), the queue and the polling cost over the bare stages on a 120-image round.
 * The whole demo's budget is 15 minutes on 2 cores.
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
  const r = spawnSync(process.execPath, [FLD, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FLD_LOG_LEVEL: 'warn' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`fld ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { out: r.stdout, seconds: (performance.now() - t0) / 1000 };
};
const anchor = (tag: string) => {
  const config = join(tmp, `${tag}.config.json`);
  writeFileSync(config, JSON.stringify({ storage: join(tmp, tag), shardSize: 40, specialists: { ocr: 'ppocr-v4' } }));
  return run(['run', join(tmp, 'world', 'collection', 'manifest.jsonl'), '--collection', 'demo', '--config', config])
    .seconds;
};
try {
  // the anchor's world is the demo's (same size and seed, so the same bytes); run before and after
  // the demo, since the load of a shared machine drifts over minutes
  run(['world', 'generate', '--out', join(tmp, 'world'), '--images', N, '--seed', '7']);
  const before = anchor('local-before');
  const demo = run(['demo', '--out', join(tmp, 'demo'), '--images', N, ...(ROUNDS ? ['--rounds', ROUNDS] : [])]);
  const timings = demo.out.slice(demo.out.lastIndexOf('\nstep timings\n'));
  const quality = demo.out.indexOf('quality per round against the truth\n');
  if (quality >= 0)
    console.log(demo.out.slice(demo.out.indexOf('\n', quality) + 1, demo.out.indexOf('\nstep timings')).trim() + '\n');
  console.log(timings.trim());
  const stepS = (re: RegExp) => Number(new RegExp(`${re.source}\\s+([\\d.]+) s`).exec(timings)?.[1] ?? NaN);
  // enqueue (shards written, flows added) + the wait: what `fld run` does in one process
  const round0Workers = stepS(/enqueue round 0/) + stepS(/round 0 on the workers[^\n]*?/);
  const total = stepS(/total/);

  const after = anchor('local-after');

  console.log('\nfigure | anchor | ratio');
  console.log(
    `round 0 through workers (enqueue + wait) ${round0Workers.toFixed(1)} s | round 0 in one process (fld run, incl. start-up; before / after the demo) ${before.toFixed(1)} / ${after.toFixed(1)} s | ${(round0Workers / before).toFixed(2)} / ${(round0Workers / after).toFixed(2)}`,
  );
  console.log(`whole demo (${N} images) ${total.toFixed(1)} s | budget 900 s | ${(total / 900).toFixed(2)}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

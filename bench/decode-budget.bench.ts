/**
 * Worker memory under hostile images: `npm run bench -- decode-budget`. Eight PNGs of 9990 x 9990
 * (about 100 KB each on disk, 285 MB each decoded) in one mini-batch of 8, annotated by the demo
 * detector through `fld run` (the same annotate stage a worker runs). Peak RSS of the process with the
 * default budget (config `decodeBudgetMB` 1024: half, 512 MB, a batch) against the same run with the
 * budget out of the way (the behaviour without one: every image of the batch decoded at once), and
 * against a run on eight small images (the process's own footprint). Floor: peak RSS with the budget at
 * most the small run's plus the budget; exits 1 when missed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FLD_BIN } from '../demo/run/worker-procs.ts';
import { REPO_ROOT } from '../pipeline/train/train-round.ts';

const dir = mkdtempSync(join(tmpdir(), 'fld-decode-budget-'));
const say = (s: string) => console.log(s);

/** Peak resident memory of a child process, from /proc/<pid>/status VmHWM polled until it exits. */
function peakRss(args: string[]): Promise<{ code: number | null; peakMB: number; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [FLD_BIN, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FLD_LOG_LEVEL: 'warn' },
    });
    let peak = 0;
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // gone between polls
      }
    }, 50);
    p.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, peakMB: peak, err });
    });
  });
}

async function folderOf(name: string, size: number): Promise<string> {
  const f = join(dir, name);
  mkdirSync(f, { recursive: true });
  const png = await sharp({
    create: { width: size, height: size, channels: 3, background: { r: 250, g: 250, b: 250 } },
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  for (let i = 0; i < 8; i++) writeFileSync(join(f, `img${i}.png`), png);
  say(
    `${name}: 8 PNGs of ${size}x${size}, ${(png.length / 1024).toFixed(0)} KB each on disk, ${((size * size * 3) / 2 ** 20).toFixed(0)} MB each decoded`,
  );
  return f;
}

async function runOn(folder: string, name: string, budgetMB?: number) {
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      storage: join(dir, name),
      batchSize: 8,
      ...(budgetMB ? { decodeBudgetMB: budgetMB } : {}),
      specialists: { detector: join(REPO_ROOT, 'models', 'demo-detector') },
    }),
  );
  const r = await peakRss(['run', folder, '--collection', name, '--config', config]);
  if (r.code !== 0) throw new Error(`fld run (${name}) failed: ${r.err.slice(-2000)}`);
  return r.peakMB;
}

try {
  const small = await runOn(await folderOf('small', 64), 'small');
  const hostile = await folderOf('hostile', 9990);
  const budgeted = await runOn(hostile, 'budget');
  const unbounded = await runOn(hostile, 'unbounded', 1_048_576);
  const budget = 1024;
  const ceiling = small + budget;
  say('\nfigure                                   peak RSS  anchor');
  say(
    `8 hostile PNGs, default budget (${budget} MB)     ${budgeted.toFixed(0).padStart(6)} MB  ceiling ${ceiling.toFixed(0)} MB (8 small images ${small.toFixed(0)} MB + the budget)`,
  );
  say(
    `8 hostile PNGs, no budget in the way      ${unbounded.toFixed(0).padStart(6)} MB  (what a batch costs without one)`,
  );
  const ok = budgeted <= ceiling;
  say(`\nfloor: peak RSS with the budget at most ${ceiling.toFixed(0)} MB: ${ok ? 'met' : 'NOT MET'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The demo specialists: `npm run bench -- train-world`.
 *  - Re-measures the committed models (models/demo-*) on the held-out world (training/world-config.json)
 *    and prints each band figure beside the one recorded by `npm run train:world` (models/train-world.json):
 *    the ratio is 1.000 when the committed models are the ones the recorded band came from.
 *  - With TRAIN_WORLD_BENCH=full it also reruns `npm run train:world` into a temp folder and prints its
 *    wall time beside the 20-minute budget (a constant, not a measurement: the one row without a
 *    same-run anchor) and the recorded time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, REPO_ROOT } from '../test/helpers/florence2-tiny.ts';

// TRAIN_WORLD_MODELS points at another models folder (one `npm run train:world -- --models DIR` wrote).
const models = process.env.TRAIN_WORLD_MODELS ?? join(REPO_ROOT, 'models');
const recordedPath = join(models, 'train-world.json');
if (!existsSync(recordedPath)) {
  // Not a failure of the bench: a models folder (TRAIN_WORLD_MODELS) that train:world has not written.
  console.log(`skipped: no ${recordedPath}; run "npm run train:world" first`);
  process.exit(0);
}
const recorded = JSON.parse(readFileSync(recordedPath, 'utf8'));

function python(args: string[]): Record<string, unknown>[] {
  const r = spawnSync(PYTHON, ['-m', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

const rows: [string, number, string, number][] = [];
// Re-scored on the held-out world of the recorded recipe (not whatever training/world-config.json says now),
// so the ratio compares the same models on the same images.
const scratch = mkdtempSync(join(tmpdir(), 'fld-train-world-score-'));
let band: Record<string, number>;
try {
  const config = join(scratch, 'config.json');
  writeFileSync(config, JSON.stringify(recorded.config));
  band = python(['training.train_world', '--score-only', '--models', models, '--config', config]).find(
    (e) => e.event === 'heldout-band',
  ) as Record<string, number>;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
for (const k of ['box_f1', 'box_precision', 'box_recall', 'caption_f1', 'caption_precision', 'caption_recall']) {
  rows.push([
    `held-out ${k} (committed models, now)`,
    band[k],
    `held-out ${k} (models/train-world.json)`,
    recorded.heldout_band[k],
  ]);
}
if (process.env.TRAIN_WORLD_BENCH === 'full') {
  const out = mkdtempSync(join(tmpdir(), 'fld-train-world-bench-'));
  try {
    const t = performance.now();
    python(['training.train_world', '--models', out]);
    const s = (performance.now() - t) / 1000;
    rows.push(['npm run train:world, 2 trainers x 1 thread (s)', s, 'budget: 20 minutes (s)', 1200]);
    rows.push([
      'npm run train:world, 2 trainers x 1 thread (s)',
      s,
      'recorded run (s)',
      recorded.timings.total_train_s + recorded.timings.heldout_score_s,
    ]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
console.log(
  `frozen band (models/train-world.json, held-out world of ${recorded.config.heldout_world.images} images, seed ${recorded.config.heldout_world.seed}):`,
);
for (const [k, [lo, hi]] of Object.entries(recorded.target as Record<string, [number, number]>)) {
  const v = recorded.heldout_band[k] as number;
  console.log(
    `  ${k} ${v.toFixed(3)} | bounds ${lo}..${hi} | ${v >= lo && v <= hi ? 'in band' : 'OUT OF BAND'} | re-scored now ${band[k].toFixed(3)}`,
  );
}
console.log('figure | value | anchor | value | ratio');
for (const [f, v, a, av] of rows)
  console.log(`${f} | ${v.toFixed(3)} | ${a} | ${av.toFixed(3)} | ${(av ? v / av : NaN).toFixed(3)}`);

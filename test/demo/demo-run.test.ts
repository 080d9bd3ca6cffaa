// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLD_BIN } from '../../demo/run/worker-procs.ts';
import { KIND_FIGURES, parseQualityTable } from '../../pipeline/stats/quality-table.ts';

/**
 * The main job end to end, small: `fld demo` on 12 images (and a 12-image verified set) with one
 * short training, through real workers on the test Redis. What it prints is what a user reads first:
 * the quality table must carry a figure for every kind of output in every round, and the report the
 * same table, its plot and the gates.
 */
const run = (args: string[]) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [FLD_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });

test('the demo runs every kind through round 0, a training and round 1, and its quality table has a figure for every kind in both rounds', async () => {
  // a fixed folder: image ids hash the uris, and the export's train/valid split draws per id, so with
  // 12 images a random folder sometimes leaves the valid split empty (the training then stops, named)
  const out = join(tmpdir(), 'fld-demo-run-fixed');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    const r = await run([
      'demo',
      '--out',
      out,
      '--images',
      '12',
      '--verified-images',
      '12',
      '--rounds',
      '1',
      '--train-steps',
      '10',
    ]);
    assert.equal(r.code, 0, r.out.slice(-4000));
    const t = parseQualityTable(r.out);
    assert.deepEqual(t.labels, ['round 0', 'round 1']);
    for (const k of KIND_FIGURES) {
      const v = t.figures.get(k);
      assert.ok(
        v?.every((x) => typeof x === 'number' && Number.isFinite(x)),
        `${k}: ${JSON.stringify(v)}\n${r.out.slice(-3000)}`,
      );
    }
    assert.ok(t.figures.get('grounded phrases')!.every((n) => n! > 0));
    assert.match(r.out, /Acceptance gates, round 1 \(verified set demo-verified, 12 images/);
    const report = join(out, 'report.html');
    assert.ok(existsSync(report));
    const html = readFileSync(report, 'utf8');
    assert.match(html, /Quality per round against the world/);
    assert.match(html, /<img alt="Quality per round"/);
    assert.match(html, /Acceptance gates, round 1/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLD } from '../engine/harness.ts';

/**
 * The engine's commands (enqueue, status, retry, worker) check their whole-number options before
 * they read a config or reach Redis: a bad value is one line naming the command and the flag, exit 2.
 * Redis points at a closed port, so a check that ran after the connect would say "not reachable".
 */
test('bad whole-number options of enqueue, status, retry and worker: exit 2, one line naming the flag, before Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fld-engine-opts-'));
  try {
    const cases: [string[], RegExp][] = [
      [
        ['enqueue', dir, '--collection', 'c', '--round', 'x'],
        /^fld: enqueue: --round must be a whole number >= 0, got "x"$/,
      ],
      [
        ['enqueue', dir, '--collection', 'c', '--round', '1e1'],
        /^fld: enqueue: --round must be a whole number >= 0, got "1e1"$/,
      ],
      [
        ['enqueue', '--resume', '--collection', 'c', '--round', '-1'],
        /^fld: enqueue: --round must be a whole number >= 0, got "-1"$/,
      ],
      [['status', '--round', '1.5'], /^fld: status: --round must be a whole number >= 0, got "1.5"$/],
      [['retry', '--collection', 'c', '--round', 'x'], /^fld: retry: --round must be a whole number >= 0, got "x"$/],
      [
        ['worker', '--queues', 'merge', '--concurrency', '0'],
        /^fld: worker: --concurrency must be a whole number >= 1, got "0"$/,
      ],
      [
        ['worker', '--queues', 'merge', '--lock-duration', '5s'],
        /^fld: worker: --lock-duration must be a whole number >= 1000, got "5s"$/,
      ],
      [
        ['worker', '--queues', 'merge', '--max-stalled-count', '-2'],
        /^fld: worker: --max-stalled-count must be a whole number >= 0, got "-2"$/,
      ],
    ];
    for (const [args, want] of cases) {
      const r = spawnSync(process.execPath, [FLD, ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', FLD_STORAGE: join(dir, 'data') },
        timeout: 60_000,
      });
      const what = `fld ${args.join(' ')}`;
      assert.equal(r.status, 2, `${what}: exit 2 (${r.stderr})`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${what}: one line (${r.stderr})`);
      assert.match(lines[0], want, what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

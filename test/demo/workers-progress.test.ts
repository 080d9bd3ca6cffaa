// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../../pipeline/engine/open-engine.ts';
import { waitForRound } from '../../pipeline/engine/round-progress.ts';
import { startWorkers } from '../../demo/run/worker-procs.ts';
import { fld, makeEnv, makeWorld, quiet, type Env } from '../pipeline/engine/harness.ts';

/**
 * The demo's worker processes and its wait: real `fld worker` children tracked by pid, a crashed one
 * noticed, a live one stopped cleanly; a real round followed to its end with one line per change;
 * a wait that is told a worker died stops with that reason instead of waiting forever.
 */
let world: { dir: string; manifest: string };
let env: Env;
before(async () => {
  world = await makeWorld(12, 3);
  // no specialist: the merge alone (the collection's alt-texts through the filters), fast
  env = await makeEnv({ shardSize: 4, window: 2 });
});
after(async () => {
  await env.close();
  rmSync(world.dir, { recursive: true, force: true });
});

test('a worker that cannot start is reported dead; a live one stops on SIGTERM and is gone', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'fld-demo-logs-'));
  try {
    const bad = join(logDir, 'bad.config.json');
    writeFileSync(bad, JSON.stringify({ redis: 'redis://127.0.0.1:1', storage: join(logDir, 'data') }));
    const g = startWorkers([['merge']], { config: bad, logDir, env: { ...process.env, FLD_LOG_LEVEL: 'warn' } });
    await new Promise<void>((r) => g.procs[0]!.child.once('exit', () => r()));
    assert.equal(g.dead()?.pid, g.procs[0]!.pid);
    assert.match(readFileSync(g.procs[0]!.log, 'utf8'), /not reachable/, 'the reason is in its log');
    await g.stop();

    const good = startWorkers([['merge'], ['ocr']], {
      config: env.configFile,
      logDir,
      env: { ...process.env, FLD_LOG_LEVEL: 'info' },
    });
    // ready = its SIGTERM handler is installed (a process still loading dies of the signal instead)
    for (let i = 0; i < 600 && !good.procs.every((p) => /worker ready/.test(readFileSync(p.log, 'utf8'))); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(good.dead(), null);
    await good.stop();
    for (const p of good.procs) {
      assert.equal(p.child.exitCode, 0, `worker ${p.queues} exited 0 after SIGTERM`);
      assert.throws(() => process.kill(p.pid, 0), 'process gone');
    }
    assert.equal(good.dead(), null, 'workers stopped on purpose are not "dead"');
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
});

test('waitForRound follows a round on real workers to its end, one line per change', async () => {
  const r = await fld(
    ['enqueue', world.manifest, '--collection', 'w', '--config', env.configFile, '--annotations-only'],
    { cwd: env.dir },
  ).done;
  assert.equal(r.code, 0, r.stderr);
  const engine = await openEngine(env.config, { log: quiet });
  const lines: string[] = [];
  try {
    env.startWorker('merge');
    const s = await waitForRound(
      engine.q,
      { collection: 'w', round: 0 },
      { tty: false, say: (l) => lines.push(l), pollMs: 200 },
    );
    assert.equal(s.finished, true);
    assert.deepEqual(s.shards, { total: 3, pending: 0, waiting: 0, active: 0, done: 3, failed: 0 });
    assert.equal(new Set(lines).size, lines.length, 'no line repeated');
    assert.match(lines.at(-1)!, /^round 0: 12\/12 images, shards 3\/3 done, 0 active, 0 failed/);
    const done = lines.map((l) => Number(/shards (\d+)\/3 done/.exec(l)![1]));
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'done shards never go down',
    );
  } finally {
    await engine.close();
  }
});

test('waitForRound stops with the reason when told a worker died', async () => {
  // no worker serves the queues any more, so the round cannot finish by itself
  await Promise.all(
    env.workers.map((w) =>
      w.exitCode !== null || w.signalCode !== null
        ? null
        : new Promise((r) => {
            w.once('close', r);
            w.kill('SIGTERM');
          }),
    ),
  );
  const r = await fld(
    ['enqueue', world.manifest, '--collection', 'nobody', '--config', env.configFile, '--annotations-only'],
    { cwd: env.dir },
  ).done;
  assert.equal(r.code, 0, r.stderr);
  const engine2 = await openEngine(env.config, { log: quiet });
  try {
    // collection "nobody" has no worker serving it in time: the abort reason ends the wait
    let polls = 0;
    await assert.rejects(
      waitForRound(
        engine2.q,
        { collection: 'nobody', round: 0 },
        {
          tty: false,
          say: () => {},
          pollMs: 50,
          abort: () => (++polls >= 2 ? 'worker merge (pid 1) exited with 1' : null),
        },
      ),
      /round 0 of nobody: worker merge \(pid 1\) exited with 1/,
    );
  } finally {
    await engine2.close();
  }
});

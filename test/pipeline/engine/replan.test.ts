// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readRoundPlan } from '../../../pipeline/engine/plan-files.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { fld, makeEnv, makeWorld, quiet, roundRows } from './harness.ts';

/**
 * A round whose saved plan cannot work is not stuck for good: `fld enqueue --replan` replaces the
 * plan once nothing of the round is queued or running (refused before), and `fld retry` then runs
 * the failed shards under the new plan, on the same worker process that held the old one.
 */
let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(20, 11, ['--boxes-fraction', '0.5']);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

test("--replan is refused while shards are queued, replaces a failed round's plan, and fld retry runs it under the new plan", async () => {
  const env = await makeEnv({ shardSize: 10, window: 4, jobs: { attempts: 2, backoffMs: 100 } });
  const gone = join(env.dir, 'detector-gone');
  const good = join(env.dir, 'detector-good');
  try {
    await cp(await yoloModelFolder('exact', 64, ['red thing', 'green thing']), gone, { recursive: true });
    await cp(await yoloModelFolder('exact', 64, ['red thing', 'green thing']), good, { recursive: true });
    await writeFile(env.configFile, JSON.stringify({ ...env.config, specialists: { detector: gone } }));
    const r = await fld(['enqueue', world.manifest, '--collection', 'p', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(r.code, 0, r.stderr);
    // the plan names a folder the workers will not find
    await rm(gone, { recursive: true, force: true });
    await writeFile(env.configFile, JSON.stringify({ ...env.config, specialists: { detector: good } }));

    const early = await fld(['enqueue', world.manifest, '--collection', 'p', '--config', env.configFile, '--replan'], {
      cwd: env.dir,
    }).done;
    assert.notEqual(early.code, 0);
    assert.match(
      early.stderr,
      /round 0 of collection p: 2 shard\(s\) are queued or running \(0, 1\); --replan waits until none is/,
    );

    env.startWorker('detect,merge');
    const failed = await env.waitFinished('p');
    assert.equal(failed.shards.failed, 2);

    const re = await fld(['enqueue', world.manifest, '--collection', 'p', '--config', env.configFile, '--replan'], {
      cwd: env.dir,
    }).done;
    assert.equal(re.code, 0, re.stderr);
    assert.match(
      re.stderr,
      /replanned round 0 of p: specialists: .*detector-gone.* saved, .*detector-good.* in this enqueue/,
    );
    const services = openServices(env.config, { log: quiet });
    try {
      assert.equal((await readRoundPlan(services.storage, 'p', 0))!.specialists.detector, good);
      const retry = await fld(['retry', '--collection', 'p', '--config', env.configFile], { cwd: env.dir }).done;
      assert.equal(retry.code, 0, retry.stderr);
      const ok = await env.waitFinished('p');
      assert.deepEqual([ok.shards.done, ok.shards.failed], [2, 0]);
      const rows = await roundRows(services.storage, 'p', 0);
      assert.ok(
        rows.region_text.some((x) => JSON.parse(x).sources.some((s: string) => s.startsWith('yolo-exact@'))),
        "the new plan's detector wrote the boxes",
      );
    } finally {
      await services.close();
    }
  } finally {
    await env.close();
  }
});

// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { finalizeRound } from '../../../pipeline/engine/round-manifest.ts';
import { layout } from '../../../pipeline/layout.ts';
import { readDoneMarker, readManifest } from '../../../pipeline/shards/round-files.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { fld, makeEnv, makeWorld, quiet, roundRows } from './harness.ts';

let world: { dir: string; manifest: string };
before(async () => {
  world = await makeWorld(120, 11);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

test('two worker processes with different queue sets complete a round (real PaddleOCR + merge); rows equal the in-process executor', async () => {
  const env = await makeEnv({ shardSize: 30, window: 2, batchSize: 8, specialists: { ocr: 'ppocr-v4' } });
  try {
    env.startWorker('ocr');
    env.startWorker('merge');
    const r = await fld(['enqueue', world.manifest, '--collection', 'demo', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    const sum = JSON.parse(r.stdout);
    assert.equal(sum.shards, 4);
    assert.equal(sum.images, 120);
    const status = await env.waitFinished('demo');
    assert.deepEqual(status.shards, { total: 4, pending: 0, waiting: 0, active: 0, done: 4, failed: 0 });
    assert.equal(status.images.done, 120);

    const services = openServices(env.config, { log: quiet });
    const storage = services.storage;
    // every manifest line is in exactly one image shard, in order
    const lines = (await readFile(world.manifest, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => join(world.dir, 'collection', JSON.parse(l).uri));
    const uris: string[] = [];
    const ids = new Set<string>();
    for (let s = 0; s < 4; s++) {
      const rows = (await readShard(storage, layout.images('demo', s), 'image')).rows;
      for (const row of rows) {
        assert.equal(row.shard, s);
        ids.add(row.image_id);
      }
      uris.push(...rows.map((x) => x.uri));
      for (const stage of ['annotate:ocr', 'merge'])
        assert.ok(await readDoneMarker(storage, 'demo', 0, stage, s), `${stage} marker of shard ${s}`);
    }
    assert.deepEqual(uris, lines);
    const distributed = await roundRows(storage, 'demo', 0);
    for (const kind of ['text', 'region_text']) assert.ok(distributed[kind].length > 0, `some ${kind} rows`);
    for (const rows of Object.values(distributed))
      for (const row of rows) assert.ok(ids.has(JSON.parse(row).image_id), `row of a known image: ${row}`);
    assert.ok(
      distributed.region_text.some((x) => JSON.parse(x).source.startsWith('ppocr-v4@')),
      'OCR rows from the OCR worker',
    );
    const manifest = await readManifest(storage, 'demo', 0);
    assert.deepEqual(manifest.shards, [0, 1, 2, 3]);
    assert.equal(manifest.counts.text, distributed.text.length);
    assert.equal(manifest.counts.region_text, distributed.region_text.length);

    // the same stages in one process
    const local = openServices(EngineConfig.parse({ ...env.config, storage: join(env.dir, 'local') }), { log: quiet });
    try {
      const plan = await roundPlanFor(local.storage, 'demo', 0, env.config);
      const shards = await writeImageShards(local.storage, detectSource(world.manifest), {
        collection: 'demo',
        shardSize: 30,
        readSize: true,
      });
      await runRoundLocal(plan, shards.shards, local);
      await finalizeRound(local.storage, plan, new Set());
      assert.deepEqual(await roundRows(local.storage, 'demo', 0), distributed);
    } finally {
      await local.close();
      await services.close();
    }
  } finally {
    await env.close();
  }
});

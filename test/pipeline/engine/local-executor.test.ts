// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { layout } from '../../../pipeline/layout.ts';
import { readDoneMarker } from '../../../pipeline/shards/round-files.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { makeWorld, quiet } from './harness.ts';

let world: { dir: string; manifest: string };
let dir: string;
before(async () => {
  world = await makeWorld(12, 3);
  dir = await mkdtemp(join(tmpdir(), 'fld-local-'));
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

test('in-process executor: a missing and an undecodable image become error rows naming image and stage; the shard completes; a re-run does nothing', async () => {
  const config = EngineConfig.parse({
    storage: join(dir, 'data'),
    shardSize: 6,
    batchSize: 4,
    specialists: { ocr: 'ppocr-v4' },
  });
  const services = openServices(config, { log: quiet });
  try {
    const plan = await roundPlanFor(services.storage, 'l', 0, config);
    const shards = await writeImageShards(services.storage, detectSource(world.manifest), {
      collection: 'l',
      shardSize: 6,
      readSize: true,
    });
    assert.deepEqual(shards.shards, [0, 1]);
    const images = (await readShard(services.storage, layout.images('l', 0), 'image')).rows;
    await unlink(images[1].uri); // gone after enqueue
    await writeFile(images[4].uri, 'not a png'); // damaged after enqueue
    const first = await runRoundLocal(plan, shards.shards, services);
    assert.ok([...first.values()].flat().every((o) => !o.skipped));
    const errors = (await readShard(services.storage, layout.kind('l', 0, 'errors', 0), 'errors')).rows;
    assert.deepEqual(errors.map((e) => e.image_id).sort(), [images[1].image_id, images[4].image_id].sort());
    const missing = errors.find((e) => e.image_id === images[1].image_id)!;
    assert.equal(missing.stage, 'annotate:ocr');
    assert.match(missing.message, /ENOENT/);
    const broken = errors.find((e) => e.image_id === images[4].image_id)!;
    assert.match(broken.stage, /^annotate:ocr:decode/);
    const marker = await readDoneMarker(services.storage, 'l', 0, 'annotate:ocr', 0);
    assert.equal(marker?.counts.errors, 2);
    assert.deepEqual(Object.values(marker!.stats)[0].dropped, { error: 2 });
    const merge = await readDoneMarker(services.storage, 'l', 0, 'merge', 0);
    assert.equal(merge?.counts.errors, 2);
    assert.equal(merge?.counts.images, 6);
    const again = await runRoundLocal(plan, shards.shards, services);
    assert.ok(
      [...again.values()].flat().every((o) => o.skipped),
      'every stage found its marker',
    );
  } finally {
    await services.close();
  }
});

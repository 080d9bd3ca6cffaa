// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { EngineConfig } from '../../../schemas/config.ts';
import { layout } from '../../../pipeline/layout.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { createLogger } from '../../../pipeline/log.ts';
import { sizeMismatch } from '../../../pipeline/engine/declared-size.ts';
import { demoWorldSample } from '../../specialists/fixtures/demo-world-sample.ts';

/**
 * A manifest's declared image size against the size the specialist decodes: every box is in the
 * decoded image's pixels, and the merge and the export place boxes with the record's size, so a wrong
 * size is an error row naming both sizes and that image's rows of the stage are left out; the other
 * images of the shard are annotated as before. The round's stages in this process (the in-process
 * executor) with the committed demo detector on demo-world images, which it finds objects in.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let sample: Awaited<ReturnType<typeof demoWorldSample>>;

before(async () => {
  sample = await demoWorldSample(4, 4242);
});
after(() => sample.remove());

test('sizeMismatch: equal or undeclared is fine; otherwise both sizes, and a hint when only swapped', () => {
  assert.equal(sizeMismatch({ width: 640, height: 480 }, { width: 640, height: 480 }), null);
  assert.equal(sizeMismatch({ width: null, height: null }, { width: 640, height: 480 }), null);
  assert.match(
    sizeMismatch({ width: 1280, height: 960 }, { width: 640, height: 480 }) ?? '',
    /declares 1280x960 but the image decodes to 640x480/,
  );
  assert.doesNotMatch(sizeMismatch({ width: 1280, height: 960 }, { width: 640, height: 480 }) ?? '', /swapped/);
  assert.match(sizeMismatch({ width: 480, height: 640 }, { width: 640, height: 480 }) ?? '', /swapped.*EXIF/);
});

test('a wrong declared size is an error row and the image gets no detector rows; right, undeclared and oriented sizes pass', async () => {
  const dir = sample.dir;
  const [a, b, c, d] = sample.images;
  // d stored as a 256x200 JPEG with EXIF orientation 6 (rotate 90): it decodes to 200x256
  const rotated = join(dir, 'rotated.jpg');
  await sharp(d.path).resize(256, 200).jpeg().withMetadata({ orientation: 6 }).toFile(rotated);
  const same = join(dir, 'rotated-again.jpg');
  copyFileSync(rotated, same);
  const lines = [
    { uri: a.path, width: 256, height: 256 },
    { uri: b.path, width: 512, height: 512 },
    { uri: c.path },
    { uri: rotated, width: 256, height: 200 },
    { uri: same, width: 200, height: 256 },
  ];
  const manifest = join(dir, 'sized.jsonl');
  writeFileSync(manifest, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const config = EngineConfig.parse({
    storage: join(dir, 'data'),
    specialists: { detector: join(REPO, 'models', 'demo-detector') },
  });
  const services = openServices(config, { log: createLogger({ level: 'silent' }) });
  try {
    const plan = await roundPlanFor(services.storage, 'sized', 0, config);
    // the declared sizes trusted, as `fld enqueue` without --read-size plans a remote collection
    const written = await writeImageShards(services.storage, detectSource(manifest), {
      collection: 'sized',
      shardSize: 10,
      readSize: false,
    });
    await runRoundLocal(plan, written.shards, services);
    const images = (await readShard(services.storage, layout.images('sized', 0), 'image')).rows;
    const uriOf = new Map(images.map((i) => [i.image_id, i.uri]));
    const raw = (await readShard(services.storage, layout.raw('sized', 0, 'detector', 0), 'region_text')).rows;
    const rowsOf = (uri: string) => raw.filter((r) => uriOf.get(r.image_id) === uri).length;
    for (const ok of [a.path, c.path, same]) assert.ok(rowsOf(ok) > 0, `${ok}: expected detector rows`);
    for (const wrong of [b.path, rotated]) assert.equal(rowsOf(wrong), 0, `${wrong}: expected no rows`);
    const errors = (await readShard(services.storage, layout.raw('sized', 0, 'detector_errors', 0), 'errors')).rows;
    assert.deepEqual(
      errors.map((e) => [uriOf.get(e.image_id), e.stage]),
      [
        [b.path, 'annotate:detector:size'],
        [rotated, 'annotate:detector:size'],
      ],
    );
    assert.match(
      errors[0].message,
      /\): the record declares 512x512 but the image decodes to 256x256 after EXIF orientation/,
    );
    assert.match(errors[1].message, /declares 256x200 but the image decodes to 200x256 .*swapped/);
  } finally {
    await services.close();
  }
});

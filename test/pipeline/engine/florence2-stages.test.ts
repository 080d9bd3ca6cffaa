// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../../schemas/records.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { layout } from '../../../pipeline/layout.ts';
import { readDoneMarker } from '../../../pipeline/shards/round-files.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { writeManifest } from '../../../specialists/registry/register.ts';
import { variedFlorence2Folder } from '../../specialists/fixtures/florence2-sample.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { finalizeRound } from '../../../pipeline/engine/round-manifest.ts';
import { fld, makeEnv, makeWorld, quiet, roundRows } from './harness.ts';

/**
 * Every specialist of docs/architecture.md, "The data path" but OCR in one round: the YOLO test detector, and the tiny
 * Florence-2-layout model (random weights, scaled so outputs vary) as region captioner, captioner
 * and grounding, one folder for all three.
 */
let world: { dir: string; manifest: string };
let dir: string;
let detector: string;
let florence: string;
before(async () => {
  world = await makeWorld(12, 5);
  dir = await mkdtemp(join(tmpdir(), 'fld-f2stages-'));
  detector = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  florence = join(dir, 'florence2');
  await cp(variedFlorence2Folder(), florence, { recursive: true });
  await writeManifest(florence, {
    name: 'f2-tiny',
    family: 'florence2',
    version: 'test-1',
    tasks: ['<CAPTION>', '<CAPTION_TO_PHRASE_GROUNDING>', '<REGION_TO_DESCRIPTION>'],
  });
});
after(async () => {
  for (const d of [world.dir, dir, detector]) await rm(d, { recursive: true, force: true });
});

/** The four specialists, and filters opened so the random-weight model's rows reach the round's shards. */
const roundConfig = () => ({
  shardSize: 12,
  batchSize: 4,
  specialists: { detector, region_caption: florence, captioner: florence, grounding: florence },
  // the random-weight model writes junk, which the default text and phrase rules rightly drop
  filters: {
    text: { brief: { minObjects: 0, maxObjects: 100_000, minObjectComplexity: 0, minActionComplexity: 0 } },
    phrases: { minConfidence: 0, maxWords: 100_000, blacklist: [] },
    boxes: { scoreThreshold: 0 },
  },
});

test('a round with detector, region captioner, captioner and grounding: each feeds the next through storage, merge carries their sources', async () => {
  const config = EngineConfig.parse({ storage: join(dir, 'data'), ...roundConfig() });
  const services = openServices(config, { log: quiet });
  try {
    const plan = await roundPlanFor(services.storage, 'g', 0, config);
    const { shards } = await writeImageShards(services.storage, detectSource(world.manifest), {
      collection: 'g',
      shardSize: 12,
      readSize: true,
    });
    assert.deepEqual(shards, [0]);
    const out = await runRoundLocal(plan, shards, services);
    assert.deepEqual(
      out
        .get(0)!
        .map((o) => o.stage)
        .sort(),
      ['annotate:captioner', 'annotate:detector', 'annotate:grounding', 'annotate:region_caption', 'merge'],
    );
    const raw = async <K extends 'text' | 'region_text' | 'text_phrase_region'>(specialist: string, kind: K) =>
      (await readShard(services.storage, layout.raw('g', 0, specialist, 0), kind)).rows;
    const rawErrors = async (specialist: string) =>
      (await readShard(services.storage, layout.raw('g', 0, `${specialist}_errors`, 0), 'errors')).rows;
    for (const s of ['detector', 'region_caption', 'captioner', 'grounding'])
      assert.deepEqual(await rawErrors(s), [], `${s} had no per-image errors`);

    const boxes = (await raw('detector', 'region_text')) as RegionTextRecord[];
    assert.ok(boxes.length >= 12, `the detector found boxes (${boxes.length})`);
    const described = (await raw('region_caption', 'region_text')) as RegionTextRecord[];
    const rcMarker = await readDoneMarker(services.storage, 'g', 0, 'annotate:region_caption', 0);
    assert.equal(rcMarker?.counts.inputs, boxes.length, 'one prompt per detector box');
    assert.deepEqual(
      described.map((d) => d.region_id).sort(),
      boxes.map((b) => b.region_id).sort(),
      'each box described once, on its own region id',
    );
    const boxOf = new Map(boxes.map((b) => [b.region_id, b]));
    for (const d of described) {
      assert.deepEqual(d.box, boxOf.get(d.region_id)!.box, 'the description is of the detector box');
      assert.equal(d.source, 'f2-tiny@test-1');
      assert.equal(typeof d.brief, 'string');
    }

    const captions = (await raw('captioner', 'text')) as TextRecord[];
    assert.equal(captions.length, 12, 'one brief caption per image');
    assert.ok(captions.every((c) => c.granularity === 'brief' && c.source === 'f2-tiny@test-1'));
    const nonEmpty = captions.filter((c) => c.text.trim());
    const gMarker = await readDoneMarker(services.storage, 'g', 0, 'annotate:grounding', 0);
    assert.equal(gMarker?.counts.inputs, nonEmpty.length, 'one grounding prompt per non-empty caption');
    const grounded = (await raw('grounding', 'text_phrase_region')) as TextPhraseRegionRecord[];
    const captionOf = new Map(captions.map((c) => [c.text_id, c]));
    for (const g of grounded) {
      const c = captionOf.get(g.text_id);
      assert.ok(
        c && c.image_id === g.image_id,
        `grounding row ${g.text_id} points at the captioner's caption of its image`,
      );
      assert.equal(c.text.slice(g.span![0], g.span![1]), g.phrase, 'the phrase is a span of the caption it grounds');
    }

    const rows = await roundRows(services.storage, 'g', 0);
    const region = rows.region_text.map((x) => JSON.parse(x) as RegionTextRecord);
    assert.ok(region.length > 0);
    assert.ok(
      region.every((x) => x.source === 'yolo-exact@test-1'),
      "merged boxes are the detector's",
    );
    const briefs = new Set(described.map((d) => d.brief).filter(Boolean));
    assert.ok(
      region.some((x) => x.brief && briefs.has(x.brief)),
      "merged boxes carry the region captioner's briefs",
    );
    for (const x of region) if (x.brief === null) assert.deepEqual(x.noun_chunks, []);
    const texts = rows.text.map((x) => JSON.parse(x) as TextRecord);
    assert.ok(
      texts.some((t) => t.source === 'f2-tiny@test-1'),
      "the captioner's captions reached the round",
    );
    const phrases = rows.text_phrase_region.map((x) => JSON.parse(x) as TextPhraseRegionRecord);
    assert.ok(phrases.length > 0, 'grounded phrases reached the round');
    assert.ok(phrases.every((p) => p.source === 'f2-tiny@test-1'));
  } finally {
    await services.close();
  }
});

test('an image the detector could not read is its error alone: the region captioner neither prompts nor fetches it again', async () => {
  const config = EngineConfig.parse({
    storage: join(dir, 'data-bad'),
    shardSize: 12,
    batchSize: 4,
    specialists: { detector, region_caption: florence },
  });
  const services = openServices(config, { log: quiet });
  try {
    const plan = await roundPlanFor(services.storage, 'e', 0, config);
    const { shards } = await writeImageShards(services.storage, detectSource(world.manifest), {
      collection: 'e',
      shardSize: 12,
      readSize: true,
    });
    const images = (await readShard(services.storage, layout.images('e', 0), 'image')).rows;
    const saved = await Promise.all([1, 6].map(async (i) => [images[i].uri, await readFile(images[i].uri)] as const));
    try {
      await unlink(images[1].uri); // gone after enqueue
      await writeFile(images[6].uri, 'not a png'); // damaged after enqueue
      await runRoundLocal(plan, shards, services);
    } finally {
      for (const [uri, bytes] of saved) await writeFile(uri, bytes); // the world is shared with the other tests
    }
    const rcErrors = (await readShard(services.storage, layout.raw('e', 0, 'region_caption_errors', 0), 'errors')).rows;
    assert.deepEqual(rcErrors, []);
    const errors = (await readShard(services.storage, layout.kind('e', 0, 'errors', 0), 'errors')).rows;
    assert.deepEqual(
      errors.map((e) => [e.image_id, e.stage.split(':').slice(0, 2).join(':')]).sort(),
      [
        [images[1].image_id, 'annotate:detector'],
        [images[6].image_id, 'annotate:detector'],
      ].sort(),
    );
    const boxes = (await readShard(services.storage, layout.raw('e', 0, 'detector', 0), 'region_text')).rows;
    const described = (await readShard(services.storage, layout.raw('e', 0, 'region_caption', 0), 'region_text')).rows;
    assert.ok(boxes.length > 0);
    assert.deepEqual(described.map((d) => d.region_id).sort(), boxes.map((b) => b.region_id).sort());
  } finally {
    await services.close();
  }
});

test('on BullMQ (two worker processes: detector + region captioner, captioner + grounding + merge) the round gives the same rows as in one process', async () => {
  const env = await makeEnv({ window: 1, ...roundConfig() });
  try {
    env.startWorker('detect,regioncap');
    env.startWorker('caption,ground,merge');
    const r = await fld(['enqueue', world.manifest, '--collection', 'b', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(r.code, 0, r.stderr);
    const status = await env.waitFinished('b', 0, 300_000);
    assert.deepEqual(status.shards, { total: 1, pending: 0, waiting: 0, active: 0, done: 1, failed: 0 });
    const services = openServices(env.config, { log: quiet });
    const local = openServices(EngineConfig.parse({ ...env.config, storage: join(env.dir, 'local') }), { log: quiet });
    try {
      for (const stage of [
        'annotate:detector',
        'annotate:region_caption',
        'annotate:captioner',
        'annotate:grounding',
        'merge',
      ]) {
        assert.ok(await readDoneMarker(services.storage, 'b', 0, stage, 0), `${stage} marker`);
      }
      const distributed = await roundRows(services.storage, 'b', 0);
      for (const kind of ['text', 'region_text', 'text_phrase_region'])
        assert.ok(distributed[kind].length > 0, `some ${kind} rows`);
      const plan = await roundPlanFor(local.storage, 'b', 0, env.config);
      const { shards } = await writeImageShards(local.storage, detectSource(world.manifest), {
        collection: 'b',
        shardSize: 12,
        readSize: true,
      });
      await runRoundLocal(plan, shards, local);
      await finalizeRound(local.storage, plan, new Set());
      assert.deepEqual(await roundRows(local.storage, 'b', 0), distributed);
    } finally {
      await local.close();
      await services.close();
    }
  } finally {
    await env.close();
  }
});

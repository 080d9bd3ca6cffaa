// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImageShards } from '../../pipeline/engine/enqueue.ts';
import { layout } from '../../pipeline/layout.ts';
import { idMapOf, loadAnnotationRows } from '../../demo/quality/round-rows.ts';
import { qualityColumns, scoreRound, writeRoundQuality } from '../../demo/quality/round-quality.ts';
import { formatQualityTable } from '../../pipeline/stats/quality-table.ts';
import { scoreAnnotations, type AnnotationRows } from '../../demo/quality/score.ts';
import { readManifest, writeManifest } from '../../pipeline/shards/round-files.ts';
import { readShard, writeShard } from '../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../pipeline/sources/detect.ts';
import { openStorage } from '../../pipeline/storage/open-storage.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { DEFAULT_NOISE } from '../../demo/world/labels.ts';
import type { ManifestFile } from '../../schemas/manifest.ts';
import type { ImageRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { smallWorld, tempDir } from '../world/helpers.ts';

/**
 * Quality of a round read from storage: a round made of `fld world export-noisy` labels (under the
 * engine's image ids, in shards, with a manifest) scores exactly as scoreAnnotations on the same rows;
 * truth-derived human rows are left out; the held-out collection is scored on its own world; the
 * block goes into the manifest and back.
 */
const fld = (...args: string[]) => spawnSync(process.execPath, ['bin/fld.js', ...args], { encoding: 'utf8' });
const kebab = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

// truth0: the first world's truth, for the crafted human row
let world: string,
  heldWorld: string,
  out: string,
  storage: ReturnType<typeof openStorage>,
  truth0: Awaited<ReturnType<typeof readTruth>>;
before(async () => {
  world = await smallWorld(10, 3, { wordProbability: 0.7 });
  heldWorld = await smallWorld(6, 4, { wordProbability: 0.7 });
  out = tempDir('round-quality');
  storage = openStorage(join(out, 'data'));
  truth0 = await readTruth(world);
});
after(async () => {
  await storage.close();
  for (const d of [world, heldWorld, out]) rmSync(d, { recursive: true, force: true });
});

/** A finished round 0 of `collection` whose rows are the given labels (truth image ids), plus extra rows. */
async function roundFromLabels(
  collection: string,
  w: string,
  labels: string,
  extra: (ids: Map<string, string>, images: ImageRecord[]) => Partial<Required<AnnotationRows>> = () => ({}),
  config: Record<string, unknown> = {},
) {
  const { shards } = await writeImageShards(storage, detectSource(join(w, 'collection', 'manifest.jsonl')), {
    collection,
    shardSize: 4,
    readSize: true,
  });
  const images: ImageRecord[] = [];
  for (const s of shards) images.push(...(await readShard(storage, layout.images(collection, s), 'image')).rows);
  const truth = await readTruth(w);
  const toTruth = idMapOf(images, truth.images);
  const toEngine = new Map([...toTruth].map(([e, t]) => [t, e]));
  const rows = await loadAnnotationRows(labels);
  const more = extra(toEngine, images);
  const shardOf = new Map(images.map((im, i) => [im.image_id, shards[Math.floor(i / 4)]]));
  const files: ManifestFile[] = [];
  for (const kind of ['text', 'region_text', 'text_phrase_region'] as const) {
    const all = [
      ...(rows[kind] ?? []).map((r) => ({ ...r, image_id: toEngine.get(r.image_id)! })),
      ...(more[kind] ?? []),
    ];
    for (const s of shards) {
      const f = await writeShard(
        storage,
        layout.kind(collection, 0, kind, s),
        kind,
        all.filter((r) => shardOf.get(r.image_id) === s) as never[],
      );
      files.push({ key: f.key, kind, shard: s, rows: f.rows, bytes: f.bytes, sha256: f.sha256 });
    }
  }
  await writeManifest(storage, {
    collection,
    round: 0,
    created_at: new Date().toISOString(),
    config,
    models: [],
    shards,
    counts: { text: 0, region_text: 0, text_phrase_region: 0, errors: 0 },
    files,
  });
  return { rows, truth, toEngine, shards, shardOf, images };
}

test('a round in storage scores as its rows do; human rows derived from the truth are left out; held-out scored on its own world; written into the manifest', async () => {
  const noisy = join(out, 'noisy');
  assert.equal(fld('world', 'export-noisy', '--world', world, '--out', noisy, '--format', 'jsonl').status, 0);
  const exact = join(out, 'exact');
  const zero = Object.keys(DEFAULT_NOISE).flatMap((k) => [kebab(k), '0']);
  assert.equal(
    fld('world', 'export-noisy', '--world', heldWorld, '--out', exact, '--format', 'jsonl', ...zero).status,
    0,
  );

  // the truth's detailed caption of the first image as a pre-existing human text, and a grounding on it
  let humanText: TextRecord | null = null;
  const { rows, truth } = await roundFromLabels('q', world, join(noisy, 'labels'), (toEngine) => {
    const cap = truth0.captions.find((c) => c.granularity === 'detailed')!;
    humanText = {
      image_id: toEngine.get(cap.image_id)!,
      round: 0,
      text_id: 'human-1',
      granularity: 'detailed',
      text: cap.text,
      source: 'human',
      score: null,
      sources: ['human'],
      objects: 1,
      attributes: 0,
      actions: 0,
      proper_nouns: 0,
      object_complexity: 0,
      action_complexity: 0,
    } as TextRecord;
    const g: TextPhraseRegionRecord = {
      image_id: humanText.image_id,
      round: 0,
      text_id: 'human-1',
      granularity: 'detailed',
      phrase: 'x',
      span: [0, 1],
      boxes: [[0, 0, 10, 10]],
      source: 'grounder@1',
      score: 0.9,
      sources: ['grounder@1'],
    };
    return { text: [humanText], text_phrase_region: [g] };
  });
  await roundFromLabels('h', heldWorld, join(exact, 'labels'));
  assert.ok(humanText);

  const q = await scoreRound(
    storage,
    { collection: 'q', round: 0, world },
    { collection: 'h', round: 0, world: heldWorld },
  );
  const direct = scoreAnnotations(truth, rows);
  assert.equal(q.annotated.images, 10);
  assert.deepEqual(q.annotated.boxes, {
    tp: direct.boxes.tp,
    fp: direct.boxes.fp,
    fn: direct.boxes.fn,
    precision: direct.boxes.precision,
    recall: direct.boxes.recall,
    f1: direct.boxes.f1,
  });
  for (const g of ['brief', 'detailed'] as const) {
    assert.equal(
      q.annotated.captions[g].precision,
      direct.captions[g].precision,
      `${g} precision without the human text`,
    );
    assert.equal(q.annotated.captions[g].recall, direct.captions[g].recall);
    const { precision: p, recall: r } = direct.captions[g];
    assert.ok(Math.abs(q.annotated.captions[g].f1 - (p + r ? (2 * p * r) / (p + r) : 0)) < 1e-12);
  }
  assert.deepEqual(q.annotated.grounding, direct.grounding);
  assert.equal(q.annotated.ocr.cer, direct.ocr.cer);
  assert.equal(q.annotated.excluded_rows, 2, 'the human text and the grounding of it');
  assert.ok(q.annotated.boxes.f1 < 1, 'noisy labels are not perfect');
  assert.equal(q.held_out!.images, 6);
  assert.equal(q.held_out!.boxes.f1, 1, 'exact labels on the held-out world');
  assert.equal(q.held_out!.ocr.cer, 0);

  const before = await readManifest(storage, 'q', 0);
  await writeRoundQuality(storage, 'q', 0, q);
  const after = await readManifest(storage, 'q', 0);
  assert.deepEqual(after.quality, q);
  const { quality: _q, ...rest } = after;
  assert.deepEqual(rest, before, 'nothing else in the manifest changed');

  const table = formatQualityTable([
    { label: 'q r0', set: q.annotated },
    { label: 'h r0', set: q.held_out! },
  ]);
  assert.match(table, /box F1 @0\.5\s+\d\.\d{3}\s+1\.000/);
  assert.match(table, /OCR CER/);
});

test('a quality block of an unknown version is refused by name; fld quality prints the table and writes the manifest', async () => {
  const key = layout.manifest('q', 0);
  const m = JSON.parse(new TextDecoder().decode(await storage.get(key)));
  const cfg = join(out, 'fld.config.json');
  writeFileSync(cfg, JSON.stringify({ storage: join(out, 'data') }));
  const r = fld(
    'quality',
    '--collection',
    'q',
    '--round',
    '0',
    '--world',
    world,
    '--held-out',
    'h',
    '--held-out-world',
    heldWorld,
    '--config',
    cfg,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /h r0 \(held out\)/);
  assert.match(r.stdout, /written to q\/round-0\/_manifest\.json/);
  const bad = { ...m, quality: { ...(await readManifest(storage, 'q', 0)).quality, quality_version: 2 } };
  await storage.put(key, JSON.stringify(bad));
  await assert.rejects(readManifest(storage, 'q', 0), /quality_version 2 is not supported/);
  const half = fld(
    'quality',
    '--collection',
    'q',
    '--round',
    '0',
    '--world',
    world,
    '--held-out',
    'h',
    '--config',
    cfg,
  );
  assert.notEqual(half.status, 0);
  assert.match(half.stderr, /--held-out and --held-out-world go together/);
  const sci = fld('quality', '--collection', 'q', '--round', '1e1', '--world', world, '--config', cfg);
  assert.equal(sci.status, 2, 'a round written 1e1 is bad input, not round 10');
  assert.match(sci.stderr, /quality: --round must be a whole number >= 0, got "1e1"/);
});

test("--unfiltered: the round's raw specialist output scored beside it (junk the filters removed lowers precision there)", async () => {
  const noisy = join(out, 'noisy'); // written by the first test
  const { rows, truth, toEngine, shards, shardOf, images } = await roundFromLabels(
    'u',
    world,
    join(noisy, 'labels'),
    () => ({}),
    { specialists: { detector: 'd', captioner: 'c', region_caption: 'd' } },
  );
  const objects = (rows.region_text ?? [])
    .filter((r) => r.kind === 'object')
    .map((r) => ({ ...r, image_id: toEngine.get(r.image_id)! }));
  // raw detector output: the kept boxes plus one junk box an image (what a score threshold drops)
  const junk = images.map((im) => ({
    ...objects[0],
    image_id: im.image_id,
    region_id: `${im.image_id}:junk`,
    box: [1, 1, 9, 9] as [number, number, number, number],
    phrase: 'circle',
    score: 0.01,
  }));
  const texts = (rows.text ?? []).map((t) => ({ ...t, image_id: toEngine.get(t.image_id)! }));
  for (const s of shards) {
    await writeShard(
      storage,
      layout.raw('u', 0, 'detector', s),
      'region_text',
      [...objects, ...junk].filter((r) => shardOf.get(r.image_id) === s),
    );
    await writeShard(
      storage,
      layout.raw('u', 0, 'captioner', s),
      'text',
      texts.filter((r) => shardOf.get(r.image_id) === s),
    );
    // the region captioner's rows describe detector boxes: not counted as boxes again
    await writeShard(
      storage,
      layout.raw('u', 0, 'region_caption', s),
      'region_text',
      objects.filter((r) => shardOf.get(r.image_id) === s),
    );
  }
  const q = await scoreRound(storage, { collection: 'u', round: 0, world }, undefined, { unfiltered: true });
  const rawRows = {
    region_text: [...objects, ...junk].filter((r) => r.kind === 'object'),
    text: [
      ...texts,
      ...images
        .filter((im) => im.alt_text?.trim())
        .map((im) => ({ image_id: im.image_id, granularity: 'brief', text: im.alt_text! }) as TextRecord),
    ],
  };
  const direct = scoreAnnotations(truth, rawRows, { imageIdOf: (id) => idMapOf(images, truth.images).get(id) });
  const u = q.annotated_unfiltered!;
  assert.equal(u.boxes.fp, direct.boxes.fp);
  assert.equal(u.boxes.tp, direct.boxes.tp);
  assert.equal(
    u.boxes.fp,
    q.annotated.boxes.fp + images.length,
    'each junk box is a false positive before the filters',
  );
  assert.ok(u.boxes.precision < q.annotated.boxes.precision);
  assert.equal(u.captions.brief.precision, direct.captions.brief.precision);
  assert.match(formatQualityTable(qualityColumns(q, 0)), /u r0\s+unfiltered/);
});

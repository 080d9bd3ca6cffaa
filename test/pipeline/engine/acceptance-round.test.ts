// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import type { RegionTextRecord } from '../../../schemas/records.ts';
import { boxCounts, figures, verifiedImage, type VerifiedImage } from '../../../filters/acceptance/verified-score.ts';
import { readAcceptance } from '../../../pipeline/engine/round-acceptance.ts';
import { roundPlanFor } from '../../../pipeline/engine/enqueue.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { listImageShards } from '../../../pipeline/engine/plan-files.ts';
import { locateRound } from '../../../pipeline/export/round-input.ts';
import { layout } from '../../../pipeline/layout.ts';
import { readManifest } from '../../../pipeline/shards/round-files.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { localSteps } from '../../../pipeline/rounds/local-steps.ts';
import { REPO_ROOT } from '../../../pipeline/train/train-round.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';
import { fld, makeWorld } from './harness.ts';

/**
 * The verified set in a round, in one process on real storage and real models: the committed demo
 * detector labels a small world and a verified world of another seed; the verified collection's
 * merge calibrates a threshold per source and category and writes the decision, which the world's
 * merge reads and its manifest records. Then a refinement round whose new boxes are worse (the demo
 * Florence-2 model's `<OD>`, which cannot localise): the gates keep round 0's boxes of every class
 * the new ones do not beat, so on the verified set no class scores lower after the round.
 */
let world: { dir: string; manifest: string };
let verified: { dir: string; manifest: string };
let dir: string;
before(async () => {
  [world, verified] = await Promise.all([makeWorld(16, 21), makeWorld(24, 22)]);
  const r = await fld(['world', 'verified', '--world', verified.dir], { cwd: verified.dir }).done;
  assert.equal(r.code, 0, r.stderr);
  dir = await mkdtemp(join(tmpdir(), 'fld-acceptance-'));
});
after(async () => {
  for (const d of [world.dir, verified.dir, dir]) await rm(d, { recursive: true, force: true });
});

const objectsOf = async (storage: Storage, c: string, round: number) => {
  const rows: RegionTextRecord[] = [];
  for (const s of await listImageShards(storage, c))
    rows.push(...(await readShard(storage, layout.kind(c, round, 'region_text', s), 'region_text')).rows);
  return rows.filter((r) => r.kind === 'object');
};

test('calibration on the verified set, read by every merge of the round; gates keep the previous boxes where the new ones are worse', async () => {
  const config = EngineConfig.parse({
    storage: join(dir, 'data'),
    shardSize: 8,
    batchSize: 8,
    specialists: { detector: join(REPO_ROOT, 'models', 'demo-detector') },
    verified: { collection: 'ver', source: join(verified.dir, 'collection', 'verified.jsonl'), minSupport: 3 },
    refine: { tasks: ['<OD>'] },
  });
  const services = openServices(config);
  try {
    const open = (f: string) => () => detectSource(f, {});
    const steps = localSteps({
      config,
      services,
      source: open(world.manifest),
      verifiedSource: open(join(verified.dir, 'collection', 'verified.jsonl')),
      collection: 'w',
      registry: join(dir, 'models'),
      say: () => {},
    });
    // a follower cannot be planned before its verified round has decided
    await assert.rejects(
      roundPlanFor(services.storage, 'w', 0, config),
      /verified collection ver .*has not finished round 0/,
    );
    await steps.verified!.round0();
    await steps.round0();
    const a0 = await readAcceptance(services.storage, 'ver', 0);
    assert.ok(a0);
    assert.equal((await listImageShards(services.storage, 'ver')).length, 1, 'the verified collection is one shard');
    const det = a0.calibration.boxes['demo-detector@1'];
    assert.ok(det && Object.keys(det).length >= 5, 'a threshold per category of the detector');
    assert.ok(Object.values(det).some((e) => e.rule === 'max-f1'));
    assert.deepEqual(a0.gates, []);
    assert.deepEqual((await readManifest(services.storage, 'w', 0)).acceptance, a0);
    assert.equal((await readManifest(services.storage, 'w', 0)).thresholds, 'calibrated');
    // the export reads the verified set's ranking of text sources from the round manifest
    assert.deepEqual(
      (await locateRound(services.storage, 'w', 0)).textSources,
      Object.fromEntries(Object.entries(a0.textSources).map(([g, l]) => [g, l.map((x) => x.source)])),
    );
    // the verified set's labels are not rows of its own
    assert.ok((await objectsOf(services.storage, 'ver', 0)).every((r) => r.source !== 'human'));

    const model = join(REPO_ROOT, 'models', 'demo-florence2');
    await steps.verified!.refine(1, model);
    await steps.refine(1, model);
    const a1 = (await readAcceptance(services.storage, 'ver', 1))!;
    const boxGates = a1.gates.filter((g) => g.kind === 'boxes');
    assert.ok(boxGates.length >= 5);
    assert.ok(
      boxGates.some((g) => g.decision === 'previous'),
      "the model's boxes are worse for some class",
    );
    for (const g of a1.gates)
      if (g.decision === 'new') assert.ok(g.new.f1 >= g.previous.f1 + a1.margin, `${g.kind} ${g.class}`);

    // on the verified set, no class scores lower after the round
    const images: VerifiedImage[] = [];
    for (const s of await listImageShards(services.storage, 'ver'))
      images.push(...(await readShard(services.storage, layout.images('ver', s), 'image')).rows.map(verifiedImage));
    const score = async (round: number) =>
      boxCounts(
        (await objectsOf(services.storage, 'ver', round)).map((r) => ({
          image_id: r.image_id,
          category: r.phrase,
          box: r.box,
          score: r.score,
        })),
        images,
      );
    const [before0, after1] = [await score(0), await score(1)];
    for (const [c, counts] of before0)
      assert.ok(figures(after1.get(c) ?? { tp: 0, fp: 0, fn: counts.tp + counts.fn }).f1 >= figures(counts).f1, c);

    // on the world, a class the gate kept has round 0's boxes, source and all
    const kept = new Set(boxGates.filter((g) => g.decision === 'previous').map((g) => g.class));
    const key = (r: RegionTextRecord) => `${r.image_id} ${r.phrase} ${r.box.join(',')} ${r.source}`;
    const w0 = (await objectsOf(services.storage, 'w', 0))
      .filter((r) => kept.has(r.phrase))
      .map(key)
      .sort();
    const w1 = (await objectsOf(services.storage, 'w', 1))
      .filter((r) => kept.has(r.phrase))
      .map(key)
      .sort();
    assert.ok(w0.length > 0);
    assert.deepEqual(w1, w0);
    assert.deepEqual((await readManifest(services.storage, 'w', 1)).acceptance, a1);
  } finally {
    await services.close();
  }
});

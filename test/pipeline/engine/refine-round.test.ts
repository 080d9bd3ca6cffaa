// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import type { RegionTextRecord, TextRecord } from '../../../schemas/records.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { openServices } from '../../../pipeline/engine/open-engine.ts';
import { readRoundPlan } from '../../../pipeline/engine/plan-files.ts';
import { refinePlanFor } from '../../../pipeline/engine/refine-plan.ts';
import { runRefineRoundLocal } from '../../../pipeline/engine/refine-round.ts';
import { finalizeRound } from '../../../pipeline/engine/round-manifest.ts';
import { readDoneMarker, readManifest } from '../../../pipeline/shards/round-files.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { writeManifest } from '../../../specialists/registry/register.ts';
import { variedFlorence2Folder } from '../../specialists/fixtures/florence2-sample.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { fld, makeEnv, makeWorld, quiet, roundRows } from './harness.ts';
import { defaultAdapterFactory } from '../../../pipeline/engine/adapters.ts';
import { Florence2Adapter } from '../../../specialists/florence2/florence2-adapter.ts';

/**
 * A refinement round end to end: round 0 (the YOLO test detector over a small demo world, plus its
 * alt-texts), then round 1 with the tiny Florence-2-layout model (random weights, scaled so outputs
 * vary) as region captioner, captioner and grounding, the round-0 detector running again in its own
 * slot (refine.specialists), merged with round 0 under union policies, on BullMQ workers and in one
 * process: same rows, round 0's rows carried with their own source, the model's rows beside them.
 * (The random model's `<OD>` finds ~30 boxes an image, and describing each costs minutes here; the
 * model in the detector slot is checked at the adapter below.)
 */
let world: { dir: string; manifest: string };
let dir: string;
let detector: string;
let model: string;
const TASKS = ['<CAPTION>', '<DETAILED_CAPTION>', '<OD>', '<REGION_TO_DESCRIPTION>', '<CAPTION_TO_PHRASE_GROUNDING>'];
before(async () => {
  world = await makeWorld(8, 7);
  dir = await mkdtemp(join(tmpdir(), 'fld-refine-'));
  detector = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  model = join(dir, 'c-round-1');
  await cp(variedFlorence2Folder(), model, { recursive: true });
  await writeManifest(model, { name: 'c-round-1', family: 'florence2', version: 'test-1', tasks: TASKS });
});
after(async () => {
  for (const d of [world.dir, dir, detector]) await rm(d, { recursive: true, force: true });
});

const baseConfig = () => ({
  shardSize: 4,
  batchSize: 4,
  specialists: { detector },
  // the random-weight model writes junk, which the default text and phrase rules rightly drop
  filters: {
    text: {
      brief: { minObjects: 0, maxObjects: 100_000, minObjectComplexity: 0, minActionComplexity: 0 },
      detailed: { minObjects: 0, maxObjects: 100_000, minObjectComplexity: 0, minActionComplexity: 0 },
    },
    phrases: { minConfidence: 0, maxWords: 100_000, blacklist: [] },
    boxes: { scoreThreshold: 0 },
  },
  refine: {
    tasks: TASKS,
    specialists: ['detector'],
    policy: { text: 'union', region_text: 'union-nms', text_phrase_region: 'union' },
  },
});

async function roundZero(storage: Storage, config: EngineConfig, c: string, services: ReturnType<typeof openServices>) {
  const plan = await roundPlanFor(storage, c, 0, config);
  const { shards } = await writeImageShards(storage, detectSource(world.manifest), {
    collection: c,
    shardSize: 4,
    readSize: true,
  });
  await runRoundLocal(plan, shards, services);
  assert.ok(await finalizeRound(storage, plan, new Set()));
  return shards;
}

const parse = <T>(rows: string[]) => rows.map((r) => JSON.parse(r) as T);

test("refine round 1 on BullMQ workers: the model's tasks in their stages, round 0 carried under union, same rows as in one process, idempotent", async () => {
  const env = await makeEnv(baseConfig());
  try {
    const services = openServices(env.config, { log: quiet });
    const local = openServices(EngineConfig.parse({ ...env.config, storage: join(env.dir, 'local') }), { log: quiet });
    try {
      const shards = await roundZero(services.storage, env.config, 'w', services);
      assert.deepEqual(shards, [0, 1]);
      env.startWorker('detect,regioncap,caption,ground,merge');
      const r = await fld(
        [
          'refine',
          '--collection',
          'w',
          '--round',
          '1',
          '--model',
          model,
          '--config',
          env.configFile,
          '--wait',
          '--json',
        ],
        { cwd: env.dir },
      ).done;
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.equal(summary.shards, 2);
      assert.equal(summary.registered, 2);
      const status = await env.waitFinished('w', 1, 300_000);
      assert.equal(status.shards.done, 2);

      const plan = (await readRoundPlan(services.storage, 'w', 1))!;
      assert.deepEqual(plan.refine!.tasks, {
        region_caption: ['<REGION_TO_DESCRIPTION>'],
        captioner: ['<CAPTION>', '<DETAILED_CAPTION>'],
        grounding: ['<CAPTION_TO_PHRASE_GROUNDING>'],
      });
      assert.equal(plan.refine!.previous, 0);
      for (const s of ['region_caption', 'captioner', 'grounding']) assert.equal(plan.specialists[s], model);
      assert.equal(plan.specialists.detector, detector, 'the round-0 detector runs again');
      assert.deepEqual(summary.skipped, ['<OD>: specialist detector runs again in its slot (refine.specialists)']);

      const r0 = await roundRows(services.storage, 'w', 0);
      const r1 = await roundRows(services.storage, 'w', 1);
      const texts0 = parse<TextRecord>(r0.text),
        texts1 = parse<TextRecord>(r1.text);
      const regions0 = parse<RegionTextRecord>(r0.region_text),
        regions1 = parse<RegionTextRecord>(r1.region_text);
      assert.ok(texts1.every((t) => t.round === 1) && regions1.every((x) => x.round === 1), 'rows of round 1 say so');
      // text union: every round 0 text is a round 1 text, with its round 0 sources among its sources
      for (const t of texts0) {
        const same = texts1.find(
          (u) => u.image_id === t.image_id && u.granularity === t.granularity && u.text === t.text,
        );
        assert.ok(same, `round 0 text "${t.text}" carried`);
        for (const s of t.sources) assert.ok(same.sources.includes(s), `source ${s} kept`);
      }
      assert.ok(
        texts1.some((t) => t.source === 'c-round-1@test-1' && t.granularity === 'detailed'),
        'the model wrote detailed captions',
      );
      assert.ok(
        texts1.some((t) => t.source === 'c-round-1@test-1' && t.granularity === 'brief'),
        'and brief ones',
      );
      // region union-nms: the detector ran again on the same images, so each round 0 box meets its own
      // twin; the round 1 box (now with the model's description) stands for both
      const detectorBoxes = regions0.filter((x) => x.source === 'yolo-exact@test-1');
      assert.ok(detectorBoxes.length > 0);
      const markers = await Promise.all(shards.map((s) => readDoneMarker(services.storage, 'w', 1, 'merge', s)));
      assert.equal(
        markers.reduce((n, m) => n + (m!.counts.refine_region_carried ?? 0), 0),
        detectorBoxes.length,
        'every round 0 detector box entered the round 1 merge',
      );
      for (const b of detectorBoxes)
        assert.ok(
          regions1.some(
            (x) =>
              x.image_id === b.image_id && x.source === b.source && JSON.stringify(x.box) === JSON.stringify(b.box),
          ),
          'the box is in round 1',
        );
      assert.equal(regions1.filter((x) => x.kind === 'object').length, detectorBoxes.length, 'no box twice');
      assert.ok(
        regions1.some((x) => x.brief !== null),
        "round 1 boxes carry the model's descriptions",
      );

      // the same round in one process on a copy of round 0 gives the same rows
      await roundZero(local.storage, env.config, 'w', local);
      const lr = await runRefineRoundLocal(local, env.config, 'w', 1, { model });
      assert.ok(lr.manifest);
      // no verified set: the configured thresholds, and the manifest says so
      const m1 = await readManifest(local.storage, 'w', 1);
      assert.equal(m1.thresholds, 'configured');
      assert.equal(m1.acceptance, undefined);
      const rowsLocal = await roundRows(local.storage, 'w', 1);
      assert.deepEqual(rowsLocal, r1);
      // and again: nothing runs twice, same rows
      const again = await runRefineRoundLocal(local, env.config, 'w', 1, { model });
      assert.equal(again.created, false);
      assert.deepEqual(await roundRows(local.storage, 'w', 1), rowsLocal);
    } finally {
      await local.close();
      await services.close();
    }
  } finally {
    await env.close();
  }
});

test('a florence2 model in the detector or OCR slot runs <OD> / <OCR_WITH_REGION>, or the tasks the plan names', async () => {
  const det = await defaultAdapterFactory('detector', model, 1);
  assert.ok(det instanceof Florence2Adapter);
  assert.deepEqual(det.tasks, ['<OD>']);
  const cap = await defaultAdapterFactory('captioner', model, 1, ['<DETAILED_CAPTION>']);
  assert.deepEqual((cap as Florence2Adapter).tasks, ['<DETAILED_CAPTION>']);
  await assert.rejects(defaultAdapterFactory('ocr', model, 1), /does not list <OCR_WITH_REGION>/);
  await assert.rejects(
    defaultAdapterFactory('captioner', model, 1, ['<MORE_DETAILED_CAPTION>']),
    /does not list <MORE_DETAILED_CAPTION>/,
  );
});

test('refine refuses before any work: round 0, an unfinished previous round, a model without the tasks, an unknown model', async () => {
  const config = EngineConfig.parse({ storage: join(dir, 'bad'), ...baseConfig() });
  const services = openServices(config, { log: quiet });
  try {
    await assert.rejects(refinePlanFor(services.storage, 'x', 0, config, { model }), /--round must be an integer >= 1/);
    await assert.rejects(refinePlanFor(services.storage, 'x', 1, config, { model }), /round 0 is not finished/);
    await roundZero(services.storage, config, 'x', services);
    await assert.rejects(
      refinePlanFor(services.storage, 'x', 1, config, { model: join(dir, 'nope') }),
      /neither a model folder/,
    );
    await assert.rejects(refinePlanFor(services.storage, 'x', 1, config, { model: detector }), /florence2/);
    const captionOnly = join(dir, 'caption-only');
    await cp(model, captionOnly, { recursive: true });
    await writeManifest(captionOnly, {
      name: 'caption-only',
      family: 'florence2',
      version: 'test-1',
      tasks: ['<CAPTION>', '<REGION_TO_DESCRIPTION>'],
    });
    // <REGION_TO_DESCRIPTION> needs a detector stage, which this model cannot fill: skipped with the reason
    const modelOnly = EngineConfig.parse({ ...config, refine: { tasks: TASKS } });
    const p = await refinePlanFor(services.storage, 'x', 1, modelOnly, { model: captionOnly });
    assert.deepEqual(p.plan.refine!.tasks, { captioner: ['<CAPTION>'] });
    assert.ok(p.skipped.some((s) => s.startsWith('<OD>') && /does not list/.test(s)));
    assert.ok(p.skipped.some((s) => s.startsWith('<REGION_TO_DESCRIPTION>') && /detector/.test(s)));
    await assert.rejects(refinePlanFor(services.storage, 'x', 3, config, { model }), /round 2 is not finished/);
  } finally {
    await services.close();
  }
});

test('two refines planning one round at once save one plan: the same plan joins, another plan is refused naming the difference', async () => {
  const config = EngineConfig.parse({ storage: join(dir, 'race'), ...baseConfig() });
  const services = openServices(config, { log: quiet });
  try {
    await roundZero(services.storage, config, 'r', services);
    const first = await refinePlanFor(services.storage, 'r', 1, config, { model });
    assert.equal(first.created, true);
    // The second refine read "no plan yet" a moment before the first saved its own: the storage it
    // sees answers its first look for the plan as the real one did then, and is real otherwise.
    const late = (): Storage => {
      let looked = false;
      return new Proxy(services.storage, {
        get(target, prop, receiver) {
          if (prop === 'exists')
            return async (key: string) => {
              if (!looked && key.endsWith('_plan.json')) {
                looked = true;
                return false;
              }
              return target.exists(key);
            };
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    };
    const joined = await refinePlanFor(late(), 'r', 1, config, { model });
    assert.equal(joined.created, false);
    const asSaved = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(joined.plan, asSaved(first.plan));
    const other = EngineConfig.parse({ ...config, batchSize: config.batchSize + 1 });
    await assert.rejects(
      refinePlanFor(late(), 'r', 1, other, { model }),
      /another refine planned this round at the same time with another plan \(batchSize: \d+ saved, \d+ in this enqueue\)/,
    );
    assert.deepEqual(await readRoundPlan(services.storage, 'r', 1), asSaved(first.plan));
  } finally {
    await services.close();
  }
});

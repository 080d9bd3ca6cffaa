// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  AdapterPool,
  adapterFactory,
  defaultAdapterFactory,
  NoAdapterError,
  type AdapterFactory,
} from '../../../pipeline/engine/adapters.ts';
import { OrtConfig } from '../../../schemas/ort-config.ts';
import { DetectorAdapter } from '../../../specialists/detector/detector.ts';
import { OcrAdapter } from '../../../specialists/ocr/ocr.ts';
import { Florence2Adapter } from '../../../specialists/florence2/florence2-adapter.ts';
import { writeManifest } from '../../../specialists/registry/register.ts';
import { variedFlorence2Folder } from '../../specialists/fixtures/florence2-sample.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';

let dir: string;
let detector: string;
let captionOnly: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-adapters-'));
  detector = await yoloModelFolder('exact', 64, ['red thing']);
  captionOnly = join(dir, 'f2');
  await cp(variedFlorence2Folder(), captionOnly, { recursive: true });
  await writeManifest(captionOnly, {
    name: 'f2-caption',
    family: 'florence2',
    version: '1',
    tasks: ['<DETAILED_CAPTION>', '<CAPTION>', '<OD>'],
  });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(detector, { recursive: true, force: true });
});

test('the captioner runs the caption tasks its florence2 folder lists, brief first; nothing is loaded by the factory', async () => {
  const a = await defaultAdapterFactory('captioner', captionOnly, 2);
  assert.ok(a instanceof Florence2Adapter);
  assert.deepEqual(a.tasks, ['<CAPTION>', '<DETAILED_CAPTION>']);
  assert.equal(a.opts.round, 2);
  assert.equal(a.opts.shareEngine, true);
});

test("the config's ORT threads reach the adapters, replicas the detector only", async () => {
  const make = adapterFactory(
    OrtConfig.parse({ intraOpNumThreads: 2, replicas: 3, perSpecialist: { ocr: { spinning: true } } }),
  );
  const det = await make('detector', detector, 0);
  assert.ok(det instanceof DetectorAdapter);
  assert.deepEqual(det.opts.threads, { intraOpNumThreads: 2, interOpNumThreads: 1, spinning: false, replicas: 3 });
  const cap = await make('captioner', captionOnly, 0);
  assert.ok(cap instanceof Florence2Adapter);
  assert.deepEqual(cap.opts.threads, { intraOpNumThreads: 2, interOpNumThreads: 1, spinning: false });
  // a florence2 folder in the detector slot is a Florence-2 engine: no replicas
  const od = await make('detector', captionOnly, 0);
  assert.ok(od instanceof Florence2Adapter);
  assert.deepEqual(od.opts.threads, { intraOpNumThreads: 2, interOpNumThreads: 1, spinning: false });
  const ocr = await make('ocr', 'ppocr-v4', 0);
  assert.ok(ocr instanceof OcrAdapter);
  assert.deepEqual(ocr.opts.threads, { intraOpNumThreads: 2, interOpNumThreads: 1, spinning: true });
});

test('a folder that cannot play the specialist is refused naming the specialist, the folder and why', async () => {
  await assert.rejects(
    defaultAdapterFactory('grounding', captionOnly, 0),
    (e: Error) =>
      e instanceof NoAdapterError &&
      /specialists\.grounding = .*f2: fld-model\.json does not list <CAPTION_TO_PHRASE_GROUNDING> \(it has <DETAILED_CAPTION> <CAPTION> <OD>\)/.test(
        e.message,
      ),
  );
  await assert.rejects(
    defaultAdapterFactory('region_caption', detector, 0),
    /specialists\.region_caption = .*: model family is detector, expected florence2/,
  );
  await assert.rejects(
    defaultAdapterFactory('captioner', join(dir, 'nowhere'), 0),
    /specialists\.captioner = .*nowhere: not a model folder \(no fld-model\.json\)/,
  );
  await assert.rejects(defaultAdapterFactory('segmenter', captionOnly, 0), /no adapter for "segmenter"/);
});

test('AdapterPool: a model is created and set up once per process however many jobs ask at once; a failed load is tried again by the next job', async () => {
  // the real factory, counted: every call is a model load
  const calls: string[] = [];
  const counted: AdapterFactory = (specialist, ref, round, tasks) => {
    calls.push(`${specialist}@${ref}`);
    return defaultAdapterFactory(specialist, ref, round, tasks);
  };
  const pool = new AdapterPool(counted);
  const detector = await yoloModelFolder('exact', 64, ['red thing', 'green thing']);
  const late = join(dir, 'late-detector'); // not there yet: the first jobs fail to load it
  try {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => pool.get('detector', detector, 0)));
    assert.ok(a === b && b === c, 'one adapter for every job of the process');
    assert.equal(await pool.get('detector', detector, 0), a, 'and for later jobs');
    assert.deepEqual(calls, [`detector@${detector}`]);
    const out = await a.annotate([
      {
        image_id: 'img',
        bytes: await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
          .png()
          .toBuffer(),
      },
    ]);
    assert.equal(out.errors.length, 0, 'set up before it is handed out');

    await assert.rejects(pool.get('detector', late, 0), /not a model folder/);
    await assert.rejects(pool.get('detector', late, 0), /not a model folder/);
    await cp(detector, late, { recursive: true });
    const d = await pool.get('detector', late, 0);
    assert.notEqual(d, a);
    assert.deepEqual(calls.filter((x) => x.endsWith(late)).length, 3, 'a failed load is not cached');
  } finally {
    await pool.close();
    await rm(detector, { recursive: true, force: true });
  }
});

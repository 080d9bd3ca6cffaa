// @part integration
/**
 * The florence2 adapter end to end on the tiny model (scaled so outputs vary): image bytes in, rows of
 * every task out in original pixels, a broken image as an error row while the rest is annotated.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import type { AdapterResult } from '../../specialists/adapter.ts';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Florence2Adapter,
  maxNewTokensFor,
  type Florence2Image,
} from '../../specialists/florence2/florence2-adapter.ts';
import { loadFolderInfo } from '../../specialists/florence2/runner.ts';
import { annotateStream } from '../../specialists/annotate-stream.ts';
import { sampleImages, variedFlorence2Folder } from './fixtures/florence2-sample.ts';

const TASKS = [
  '<CAPTION>',
  '<DETAILED_CAPTION>',
  '<MORE_DETAILED_CAPTION>',
  '<OD>',
  '<DENSE_REGION_CAPTION>',
  '<OCR_WITH_REGION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<REGION_TO_DESCRIPTION>',
];

let adapter: Florence2Adapter;
let images: Florence2Image[];
let result: AdapterResult;

before(async () => {
  adapter = new Florence2Adapter({
    modelDir: variedFlorence2Folder(),
    tasks: TASKS,
    maxNewTokens: 24,
    numBeams: 1,
    maxBatch: 4,
  });
  await adapter.setup();
  images = (await sampleImages(6, 7)).map((im, i) => ({
    ...im,
    regions: [{ region_id: `${im.image_id}:det:0`, box: [2, 3, 40 + i, 50], phrase: 'thing' }],
  }));
  images.splice(2, 0, { image_id: 'not-an-image', bytes: new TextEncoder().encode('hello, not a jpeg') });
  result = await adapter.annotate(images);
});
after(() => adapter.teardown());

test('a text file among the images is one error row naming it; the others are annotated', () => {
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0].image_id, 'not-an-image');
  assert.equal(result.errors[0].stage, 'annotate:florence2:decode');
  assert.match(result.errors[0].message, /not-an-image/);
  assert.deepEqual(
    result.sizes.map((s) => s.image_id),
    images.filter((i) => i.image_id !== 'not-an-image').map((i) => i.image_id),
  );
});

test('three captions per image with their granularities; all rows validate; boxes in original pixels', () => {
  for (const s of result.sizes) {
    const texts = result.text.filter((t) => t.image_id === s.image_id).map((t) => TextRecord.parse(t));
    assert.deepEqual(
      texts.map((t) => t.granularity),
      ['brief', 'detailed', 'more_detailed'],
    );
    for (const t of texts) assert.ok(t.score !== null && t.score > 0 && t.score <= 1);
    // the random tiny model writes loc and special tokens into its captions: rows keep none of them
    for (const t of texts)
      assert.doesNotMatch(t.text, /<loc_\d+>|<\/?s>|<pad>|<unk>|<\/?od>|<sep>|\s\s/, `${t.text_id}: ${t.text}`);
    for (const r of result.region_text.filter((x) => x.image_id === s.image_id)) {
      RegionTextRecord.parse(r);
      const [x0, y0, x1, y1] = r.box;
      assert.ok(
        x0 >= 0 && y0 >= 0 && x1 <= s.width && y1 <= s.height,
        `${r.region_id} box ${r.box} outside ${s.width}x${s.height}`,
      );
    }
  }
  for (const r of result.text_phrase_region) TextPhraseRegionRecord.parse(r);
});

test('region to description: one brief row per given region, on its id and box', () => {
  const briefs = result.region_text.filter((r) => r.region_id.endsWith(':det:0'));
  assert.equal(briefs.length, result.sizes.length);
  for (const b of briefs) {
    assert.equal(b.phrase, 'thing');
    assert.equal(typeof b.brief, 'string');
    assert.deepEqual(b.box, images.find((i) => i.image_id === b.image_id)!.regions![0].box);
  }
});

test("grounding without given captions grounds this call's captions: spans point at the phrase in that caption", () => {
  for (const r of result.text_phrase_region) {
    const cap = result.text.find((t) => t.text_id === r.text_id);
    assert.ok(cap, `${r.text_id} is not a caption of this call`);
    assert.equal(cap.text.slice(r.span[0], r.span[1]), r.phrase);
    assert.equal(r.granularity, cap.granularity);
  }
});

test('the same images through annotateStream in mini-batches of 2 give the same rows', async () => {
  const rows: AdapterResult[] = [];
  for await (const r of annotateStream(adapter, images, 2)) rows.push(r);
  // rows come task by task within a batch, so compare as sorted lists; scores to 5 digits (batch shape moves the last bits)
  const sorted = (xs: unknown[]) =>
    xs
      .map((x) => JSON.stringify(x, (k, v) => (k === 'score' && typeof v === 'number' ? Number(v.toPrecision(5)) : v)))
      .sort();
  for (const k of ['text', 'region_text', 'text_phrase_region', 'errors'] as const) {
    assert.deepEqual(sorted(rows.flatMap((r): unknown[] => r[k])), sorted(result[k]), k);
  }
});

test('inference on the calling thread (inline) gives the rows the worker thread gives', async () => {
  const inline = new Florence2Adapter({
    ...adapter.opts,
    tasks: ['<CAPTION>', '<OD>'],
    threads: { inference: 'inline' },
  });
  await inline.setup();
  try {
    const r = await inline.annotate(images);
    assert.deepEqual(
      r.text,
      result.text.filter((t) => t.granularity === 'brief'),
    );
    assert.deepEqual(
      r.region_text,
      result.region_text.filter((x) => x.region_id.includes(':od:')),
    );
  } finally {
    await inline.teardown();
  }
});

test('a caption too long for the encoder is an error row naming the image; the other captions are grounded', async () => {
  const g = new Florence2Adapter({ ...adapter.opts, tasks: ['<CAPTION_TO_PHRASE_GROUNDING>'] });
  await g.setup();
  try {
    const [a, b] = images.filter((i) => i.image_id !== 'not-an-image');
    const cap = (text: string, im: Florence2Image) => [
      { text_id: `${im.image_id}:c`, granularity: 'detailed' as const, text },
    ];
    const r = await g.annotate([
      { ...a, captions: cap('word '.repeat(200), a) },
      { ...b, captions: cap('a red box', b) },
    ]);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].image_id, a.image_id);
    assert.equal(r.errors[0].stage, 'annotate:florence2:<CAPTION_TO_PHRASE_GROUNDING>');
    assert.match(r.errors[0].message, /prompt is \d+ tokens, the model takes at most 447/);
    assert.deepEqual(
      r.sizes.map((s) => s.image_id),
      [a.image_id, b.image_id],
    );
    for (const row of r.text_phrase_region) assert.equal(row.text_id, `${b.image_id}:c`);
    await assert.rejects(
      g.runner.generate(await g.runner.encodeImages([]), [], { maxNewTokens: 10_000 }),
      /max_new_tokens 10000 is more than the decoder's 512 positions/,
    );
  } finally {
    await g.teardown();
  }
});

test('an unsupported task is refused when the adapter is made', () => {
  assert.throws(
    () => new Florence2Adapter({ modelDir: '.', tasks: ['<REGION_TO_SEGMENTATION>'] }),
    /REGION_TO_SEGMENTATION> is not supported/,
  );
});

test("detailed captions may use the decoder's positions (at most 1,024); brief captions keep the default; a given max_new_tokens wins", async () => {
  const dir = variedFlorence2Folder();
  const positions = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).text_config
    .max_position_embeddings as number;
  const limit = (await loadFolderInfo(dir)).outputLimit;
  assert.equal(limit, Math.min(1024, positions));
  assert.equal(maxNewTokensFor('<DETAILED_CAPTION>', undefined, limit), limit);
  assert.equal(maxNewTokensFor('<MORE_DETAILED_CAPTION>', undefined, limit), limit);
  for (const task of ['<CAPTION>', '<OD>', '<CAPTION_TO_PHRASE_GROUNDING>'])
    assert.equal(maxNewTokensFor(task, undefined, limit), undefined, task);
  assert.equal(maxNewTokensFor('<MORE_DETAILED_CAPTION>', 24, limit), 24);
  // a real Florence-2 decoder has 1,024 positions or more: 1,024, what its Python examples pass
  const big = mkdtempSync(join(tmpdir(), 'fld-f2-positions-'));
  try {
    cpSync(dir, big, { recursive: true, filter: (p) => !p.startsWith(join(dir, 'onnx')) });
    const cfg = JSON.parse(readFileSync(join(big, 'config.json'), 'utf8'));
    cfg.text_config.max_position_embeddings = 4096;
    writeFileSync(join(big, 'config.json'), JSON.stringify(cfg));
    assert.equal((await loadFolderInfo(big)).outputLimit, 1024);
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
});

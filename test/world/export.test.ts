// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { quantiseCoord as quantise, quantisePoints, locTokens as binsToTokens } from '../../schemas/loc-codec.ts';
const locTokens = (xy: number[], width: number, height: number) => binsToTokens(quantisePoints(xy, { width, height }));
import { rowsForImage, splitOf, TASKS } from '../../demo/world/export-rows.ts';
import { parseTaskOutput } from '../../schemas/florence2-parse.ts';
import { writeJsonlExport, writeParquetExport } from '../../demo/world/export-writers.ts';
import { exportNoisy } from '../../demo/world/export-noisy.ts';
import { writeTrainingExport } from '../../demo/world/export-build.ts';
import { DEFAULT_NOISE, labelsOf } from '../../demo/world/labels.ts';
import { readParquet, readParquetMetadata, writeParquet } from '../../demo/world/parquet.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { Rng } from '../../demo/world/rng.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { scenesFromTruth, type SceneTruth } from '../../demo/world/truth.ts';
import { smallWorld, tempDir } from './helpers.ts';

let world = '';
let scenes: SceneTruth[] = [];
before(async () => {
  world = await smallWorld(12, 31, { wordProbability: 0.8 });
  scenes = scenesFromTruth(await readTruth(world));
});
after(() => rmSync(world, { recursive: true, force: true }));

const imageOf = (s: SceneTruth) => ({
  image_id: s.image_id,
  file: join(world, 'collection', 'images', `${s.image_id}.png`),
  name: `${s.image_id}.png`,
  width: s.width,
  height: s.height,
});

test('<loc_N> follows the floor rule with clamping', () => {
  assert.equal(quantise(0, 256), 0);
  assert.equal(quantise(128, 256), 500);
  assert.equal(quantise(255.99, 256), 999);
  assert.equal(quantise(256, 256), 999);
  assert.equal(quantise(-4, 256), 0);
  // docs/florence2-formats.md section 4: on 640 x 480, 34.24 px is bin 53 (its centre dequantises back to 34.24).
  assert.equal(quantise(34.24, 640), 53);
  assert.equal(locTokens([34.24, 160.08, 597.44, 371.76], 640, 480), '<loc_53><loc_333><loc_933><loc_774>');
});

test('rows carry every task with suffixes that parse back to the labels', () => {
  const s = scenes.find((x) => x.words.length > 0 && x.objects.length > 1)!;
  const labels = labelsOf(s, null, new Rng(1));
  const rows = rowsForImage(imageOf(s), labels, TASKS, 'train');
  assert.deepEqual(
    rows.map((r) => r.task),
    [...TASKS],
  );
  const od = rows.find((r) => r.task === '<OD>')!;
  assert.equal(od.prefix, '<OD>');
  // The canonical parser (one label may carry several boxes: `wheel<4 locs><4 locs>`).
  const od_ = parseTaskOutput(od.suffix, '<OD>', { width: s.width, height: s.height });
  assert.ok(od_.type === 'description_with_bboxes');
  const parsed = od_.boxes.map((box, i) => [od_.labels[i], box] as const);
  assert.equal(parsed.length, s.objects.length);
  for (const [cat, box] of parsed) {
    assert.ok(
      s.objects.some((o) => o.category === cat && o.box.every((v, i) => Math.abs(v - box[i]) <= s.width / 1000)),
      `${cat} ${box}`,
    );
  }
  const ground = rows.find((r) => r.task === '<CAPTION_TO_PHRASE_GROUNDING>')!;
  const brief = labels.text.find((t) => t.granularity === 'brief')!;
  assert.equal(ground.prefix, `<CAPTION_TO_PHRASE_GROUNDING>${brief.text}`);
  const ocr = rows.find((r) => r.task === '<OCR_WITH_REGION>')!;
  for (const w of s.words) assert.match(ocr.suffix, new RegExp(`${w.text}(<loc_\\d+>){8}`));
  const region = rows.find((r) => r.task === '<REGION_TO_DESCRIPTION>')!;
  assert.match(region.prefix, /^<REGION_TO_DESCRIPTION>(<loc_\d+>){4}$/);
  assert.match(region.suffix, /^a (small|large) \w+ \w+$/);
  assert.equal(
    rows.find((r) => r.task === '<DETAILED_CAPTION>')!.suffix,
    labels.text.find((t) => t.granularity === 'detailed')!.text,
  );
});

test('splits depend only on the image id', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => String(i).padStart(6, '0'));
  const valid = ids.filter((id) => splitOf(id, 0.1) === 'valid').length;
  assert.ok(valid > 140 && valid < 260, `${valid}`);
  const again = ids.map((id) => splitOf(id, 0.1));
  assert.deepEqual(
    again,
    ids.map((id) => splitOf(id, 0.1)),
  );
});

test('the Parquet and JSONL writers read back to the same rows', async () => {
  const out = tempDir('export');
  try {
    const rows = scenes.flatMap((s) =>
      rowsForImage(imageOf(s), labelsOf(s, null, new Rng(2)), TASKS, splitOf(s.image_id, 0.3)),
    );
    const files = await writeParquetExport(out, rows, 40);
    assert.ok(files.length >= 3, 'sharded');
    const back = (await Promise.all(files.map((f) => readParquet(f)))).flat();
    const meta = await readParquetMetadata(files[0]);
    assert.equal(meta.schema_version, String(SCHEMA_VERSION));
    assert.equal(JSON.parse(meta.huggingface).info.features.image._type, 'Image');
    assert.equal(back.length, rows.length);
    for (const r of back) {
      const img = r.image as { bytes: Uint8Array; path: string };
      assert.deepEqual(Buffer.from(img.bytes), readFileSync(join(world, 'collection', 'images', img.path)));
      assert.ok(
        rows.some(
          (x) =>
            x.image.name === img.path &&
            x.task === r.task &&
            x.prefix === r.prefix &&
            x.suffix === r.suffix &&
            x.split === r.split,
        ),
      );
    }
    await writeJsonlExport(out, rows);
    let lines = 0;
    for (const split of ['train', 'valid']) {
      for (const l of readFileSync(join(out, split, 'annotations.jsonl'), 'utf8')
        .trim()
        .split('\n')) {
        const j = JSON.parse(l);
        assert.deepEqual(Object.keys(j).sort(), ['image', 'prefix', 'suffix', 'task']);
        assert.ok(existsSync(join(out, split, j.image)));
        lines++;
      }
    }
    assert.equal(lines, rows.length);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('export-noisy writes valid noisy labels and one export per specialist; bad input is one line', async () => {
  const out = tempDir('noisy');
  try {
    const r = await exportNoisy({
      world,
      out,
      seed: 4,
      noise: DEFAULT_NOISE,
      validFraction: 0.2,
      format: 'jsonl',
      combined: false,
      limit: 10,
    });
    assert.equal(r.images, 10);
    assert.deepEqual(Object.keys(r.exports).sort(), ['captioner', 'detector', 'grounding', 'ocr', 'region']);
    const od = readFileSync(join(out, 'detector', 'train', 'annotations.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(od.every((x) => x.task === '<OD>'));
    assert.ok(existsSync(join(out, 'export.json')));
    const again = tempDir('noisy');
    await exportNoisy({
      world,
      out: again,
      seed: 4,
      noise: DEFAULT_NOISE,
      validFraction: 0.2,
      format: 'jsonl',
      combined: false,
      limit: 10,
    });
    assert.equal(
      readFileSync(join(again, 'labels', 'region_text.jsonl'), 'utf8'),
      readFileSync(join(out, 'labels', 'region_text.jsonl'), 'utf8'),
      'seeded',
    );
    rmSync(again, { recursive: true, force: true });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const bad = spawnSync(
    process.execPath,
    ['bin/fld.js', 'world', 'export-noisy', '--world', '/nonexistent-world', '--out', tempDir('x')],
    { encoding: 'utf8' },
  );
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--world \/nonexistent-world is not a world/);
});

test('a Parquet file of another schema_version is refused by name', async () => {
  const out = tempDir('version');
  try {
    const file = join(out, 'x.parquet');
    await writeParquet(file, [{ name: 'a', type: 'INTEGER' }], [{ a: 1 }], { schema_version: '99' });
    await assert.rejects(readParquet(file), /x\.parquet: schema_version "99" is not supported/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an export refuses rows of an image it was not given, naming it', async () => {
  const s = scenes[0];
  const labels = labelsOf(s, null, new Rng(1));
  const out = tempDir('export');
  try {
    await assert.rejects(
      writeTrainingExport(out, [imageOf(scenes[1])], labels, {
        groups: { all: TASKS },
        validFraction: 0.1,
        format: 'jsonl',
      }),
      new RegExp(`names image ${s.image_id}, which is not among the 1 images exported`),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

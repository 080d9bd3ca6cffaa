// @part unit
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OcrAdapter } from '../../../specialists/ocr/ocr.ts';
import { ppocrV4Paths } from '../../../specialists/ocr/ppocr-models.ts';
import { sha256File } from '../../../specialists/registry/model-folder.ts';
import { inkBox, renderWords } from '../fixtures/render-text.ts';

const ocr = new OcrAdapter({ threads: { intraOpNumThreads: 1 } });
before(() => ocr.setup());
after(() => ocr.teardown());

/**
 * The quad's bounding box fits the ink: it misses at most a tenth of the text height on a side and
 * is at most a third of it larger (the recognition crop, grown further, is not what is reported).
 */
function assertCovers(box: number[], ink: number[], what: string) {
  const h = ink[3] - ink[1],
    t = Math.max(2, 0.1 * h),
    m = h / 3;
  assert.ok(
    box[0] <= ink[0] + t && box[1] <= ink[1] + t && box[2] >= ink[2] - t && box[3] >= ink[3] - t,
    `${what}: box ${box} misses ink ${ink}`,
  );
  assert.ok(
    box[0] >= ink[0] - m && box[1] >= ink[1] - m && box[2] <= ink[2] + m && box[3] <= ink[3] + m,
    `${what}: box ${box} larger than ink ${ink}`,
  );
}

test('ocr reads rendered words across a batch, with quads clockwise from top-left in original pixels', async () => {
  const a = await renderWords(400, 120, [{ text: 'hello world', x: 30, y: 75, size: 40 }]);
  // 1600 wide: detection runs at 960, so the quads must be scaled back up
  const b = await renderWords(1600, 500, [
    { text: 'PARKING', x: 100, y: 200, size: 80 },
    { text: 'Exit 42', x: 900, y: 420, size: 60 },
  ]);
  const c = await renderWords(220, 64, [{ text: 'open', x: 20, y: 45, size: 32 }], 'jpeg');
  const r = await ocr.annotate([
    { image_id: 'a', bytes: a },
    { image_id: 'b', bytes: b },
    { image_id: 'c', bytes: c },
  ]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.region_text.map((x) => [x.image_id, x.phrase]),
    [
      ['a', 'hello world'],
      ['b', 'PARKING'],
      ['b', 'Exit 42'],
      ['c', 'open'],
    ],
  );
  assert.deepEqual(
    r.sizes.map((s) => [s.width, s.height]),
    [
      [400, 120],
      [1600, 500],
      [220, 64],
    ],
  );
  const regions: Record<string, [number, number, number, number]> = { a: [0, 0, 400, 120], c: [0, 0, 220, 64] };
  const inks = [
    await inkBox(a, regions.a),
    await inkBox(b, [0, 0, 800, 300]),
    await inkBox(b, [800, 300, 1600, 500]),
    await inkBox(c, regions.c),
  ];
  r.region_text.forEach((row, i) => {
    assert.equal(row.kind, 'text');
    assert.ok(row.score! >= 0.5 && row.score! <= 1);
    const q = row.quad!;
    const xs = [q[0], q[2], q[4], q[6]],
      ys = [q[1], q[3], q[5], q[7]];
    assert.deepEqual(row.box, [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
    // clockwise from top-left on an upright line: TL above BL, TR right of TL, BR below TR
    assert.ok(q[0] < q[2] && q[1] < q[7] && q[3] < q[5] && q[4] > q[6], `quad ${q} order`);
    assertCovers(row.box, inks[i], `${row.image_id} ${row.phrase}`);
  });
});

test('ocr reads a tilted line and gives a tilted quad', async () => {
  const img = await renderWords(500, 260, [{ text: 'coffee shop', x: 60, y: 120, size: 48, rotate: 12 }]);
  const r = await ocr.annotate([{ image_id: 't', bytes: img }]);
  assert.deepEqual(
    r.region_text.map((x) => x.phrase),
    ['coffee shop'],
  );
  const q = r.region_text[0].quad!;
  const slope = (q[3] - q[1]) / (q[2] - q[0]);
  assert.ok(
    Math.abs((Math.atan(slope) * 180) / Math.PI - 12) < 3,
    `top edge at ${(Math.atan(slope) * 180) / Math.PI} degrees`,
  );
});

test('an image without text gives no rows and no error', async () => {
  const blank = await renderWords(300, 100, []);
  const r = await ocr.annotate([{ image_id: 'blank', bytes: blank }]);
  assert.deepEqual(r.region_text, []);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.sizes, [{ image_id: 'blank', width: 300, height: 100 }]);
});

test('padded batch detection (for accelerators) reads the same lines as per-image detection', async () => {
  const imgs = [
    { image_id: 'wide', bytes: await renderWords(520, 100, [{ text: 'river garden', x: 20, y: 65, size: 40 }]) },
    {
      image_id: 'tall',
      bytes: await renderWords(200, 300, [
        { text: 'taxi', x: 30, y: 80, size: 40 },
        { text: 'north', x: 30, y: 220, size: 36 },
      ]),
    },
  ];
  const padded = new OcrAdapter({ detBatch: 'padded' });
  await padded.setup();
  try {
    const a = await padded.annotate(imgs);
    const b = await ocr.annotate(imgs);
    assert.deepEqual(
      a.region_text.map((x) => [x.image_id, x.phrase]),
      [
        ['wide', 'river garden'],
        ['tall', 'taxi'],
        ['tall', 'north'],
      ],
    );
    assert.deepEqual(
      b.region_text.map((x) => [x.image_id, x.phrase]),
      a.region_text.map((x) => [x.image_id, x.phrase]),
    );
  } finally {
    await padded.teardown();
  }
});

test('the OCR adapter loads a registry model folder by file roles and takes its name and version', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fld-ocr-model-'));
  try {
    const src = ppocrV4Paths();
    const files = [];
    for (const [role, from, path] of [
      ['detection', src.detectionPath, 'det.onnx'],
      ['recognition', src.recognitionPath, 'rec.onnx'],
      ['dictionary', src.dictionaryPath, 'keys.txt'],
    ]) {
      await copyFile(from, join(dir, path));
      const { size } = await stat(join(dir, path));
      files.push({ path, role, size, sha256: await sha256File(join(dir, path)) });
    }
    await writeFile(
      join(dir, 'fld-model.json'),
      JSON.stringify({ name: 'ppocr-test', family: 'ocr', version: '4.0', files }),
    );
    const a = new OcrAdapter({ modelDir: dir });
    await a.setup();
    try {
      const r = await a.annotate([
        { image_id: 'w', bytes: await renderWords(300, 90, [{ text: 'museum', x: 30, y: 60, size: 40 }]) },
      ]);
      assert.deepEqual(
        r.region_text.map((x) => [x.phrase, x.source]),
        [['museum', 'ppocr-test@4.0']],
      );
    } finally {
      await a.teardown();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

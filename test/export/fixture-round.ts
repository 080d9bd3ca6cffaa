import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type {
  Box,
  ImageRecord,
  Quad,
  RegionTextRecord,
  TextPhraseRegionRecord,
  TextRecord,
} from '../../schemas/records.ts';
import { layout } from '../../pipeline/layout.ts';
import { writeShard } from '../../pipeline/shards/storage-io.ts';
import type { Storage } from '../../pipeline/storage/storage.ts';

/**
 * A small round written with the project's shard writer over real PNG files (sharp), with rows per
 * task counted by hand:
 *
 * | image | shard | size | labels | rows |
 * |---|---|---|---|---|
 * | a | 0 | 640x480 | car + 2 wheels (briefs), 1 OCR line, 3 captions, 2 grounded phrases | 8 (every task) |
 * | b | 0 | 300x200 | a brief caption only | 2 (CAPTION, empty OCR) |
 * | c | 0 | 257x333 | 2 objects without briefs | 2 (OD, empty OCR) |
 * | d | 1 | 320x240 | a caption, but a stage failed on it (errors row) | 0 (skipped) |
 * | e | 1 | 200x150, no size in its record | 1 object with a brief | 4 (OD, DENSE, REGION, empty OCR) |
 */
export const COLLECTION = 'demo';
export const EXPECTED_ROWS = 16;
export const EXPECTED_PER_TASK: Record<string, number> = {
  '<OD>': 3,
  '<CAPTION>': 2,
  '<DETAILED_CAPTION>': 1,
  '<MORE_DETAILED_CAPTION>': 1,
  '<CAPTION_TO_PHRASE_GROUNDING>': 1,
  '<OCR_WITH_REGION>': 4,
  '<REGION_TO_DESCRIPTION>': 2,
  '<DENSE_REGION_CAPTION>': 2,
};
export const EXPECTED_ROWS_PER_IMAGE: Record<string, number> = { a: 8, b: 2, c: 2, e: 4 };

export interface FixtureImage {
  id: string;
  file: string;
  width: number;
  height: number;
}
export interface Fixture {
  root: string;
  images: Record<string, FixtureImage>;
  region_text: RegionTextRecord[];
  text: TextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
}

const prov = (source: string) => ({ round: 0, source, score: 0.9, sources: [source] });
const region = (
  image_id: string,
  region_id: string,
  kind: 'object' | 'text',
  box: Box,
  phrase: string,
  brief: string | null,
  quad: Quad | null = null,
): RegionTextRecord => ({
  image_id,
  region_id,
  kind,
  box,
  quad,
  phrase,
  brief,
  noun_chunks: [],
  ...prov(kind === 'text' ? 'ocr@1' : 'detector@1'),
});
const text = (image_id: string, text_id: string, granularity: TextRecord['granularity'], t: string): TextRecord => ({
  image_id,
  text_id,
  granularity,
  text: t,
  ...prov('captioner@1'),
  objects: 1,
  attributes: 0,
  actions: 0,
  proper_nouns: 0,
  object_complexity: 1,
  action_complexity: 0,
});

export async function writeFixtureRound(storage: Storage, imagesDir: string): Promise<Fixture> {
  mkdirSync(imagesDir, { recursive: true });
  const sizes: Record<string, [number, number]> = {
    a: [640, 480],
    b: [300, 200],
    c: [257, 333],
    d: [320, 240],
    e: [200, 150],
  };
  const images: Record<string, FixtureImage> = {};
  for (const [k, [w, h]] of Object.entries(sizes)) {
    const file = join(imagesDir, `${k}.png`);
    const png = await sharp({
      create: { width: w, height: h, channels: 3, background: { r: (40 * k.charCodeAt(0)) % 255, g: 90, b: 160 } },
    })
      .png()
      .toBuffer();
    writeFileSync(file, png);
    images[k] = { id: `img${k}000000000000`.slice(0, 16), file, width: w, height: h };
  }
  const id = (k: string) => images[k].id;
  const record = (k: string, shard: number, sized = true): ImageRecord => ({
    image_id: id(k),
    uri: images[k].file,
    width: sized ? images[k].width : null,
    height: sized ? images[k].height : null,
    collection: COLLECTION,
    shard,
    alt_text: null,
    existing_texts: [],
    existing_boxes: [],
    error: null,
  });
  const region_text = [
    region(id('a'), 'a1', 'object', [34.24, 160.08, 597.44, 371.76], 'car', 'a red car'),
    region(id('a'), 'a2', 'object', [60.5, 350.2, 160.9, 470.1], 'wheel', 'a black wheel'),
    region(id('a'), 'a3', 'object', [470.3, 351.7, 580.2, 471.9], 'wheel', 'a black wheel'),
    region(
      id('a'),
      'a4',
      'text',
      [100, 20, 220, 60],
      'STOP 42',
      null,
      [100.4, 20.2, 220.9, 21.1, 219.6, 59.8, 101.1, 60.3],
    ),
    region(id('c'), 'c1', 'object', [0, 0, 256.9, 332.9], 'sky', null),
    region(id('c'), 'c2', 'object', [12.3, 200.1, 99.9, 300.4], 'dog', null),
    region(id('e'), 'e1', 'object', [10.7, 20.3, 150.2, 149.9], 'cat', 'a sleeping cat'),
  ];
  const brief = 'A red car with a black wheel';
  const texts = [
    text(id('a'), 'ta1', 'brief', brief),
    text(id('a'), 'ta2', 'detailed', 'A red car parked on a street, with two black wheels and a stop sign.'),
    text(
      id('a'),
      'ta3',
      'more_detailed',
      'The image shows a red car parked on a quiet street. It has two black wheels, and a sign above it reads STOP 42.',
    ),
    text(id('b'), 'tb1', 'brief', 'A blue wall'),
    text(id('d'), 'td1', 'brief', 'A wall'),
  ];
  const tpr: TextPhraseRegionRecord[] = [
    {
      image_id: id('a'),
      text_id: 'ta1',
      granularity: 'brief',
      phrase: 'a black wheel',
      span: [15, 28],
      boxes: [
        [60.5, 350.2, 160.9, 470.1],
        [470.3, 351.7, 580.2, 471.9],
      ],
      ...prov('grounding@1'),
    },
    {
      image_id: id('a'),
      text_id: 'ta1',
      granularity: 'brief',
      phrase: 'A red car',
      span: [0, 9],
      boxes: [[34.24, 160.08, 597.44, 371.76]],
      ...prov('grounding@1'),
    },
  ];
  await writeShard(storage, layout.images(COLLECTION, 0), 'image', [record('a', 0), record('b', 0), record('c', 0)]);
  await writeShard(storage, layout.images(COLLECTION, 1), 'image', [record('d', 1), record('e', 1, false)]);
  const inShard =
    (ids: string[]) =>
    <T extends { image_id: string }>(rows: T[]) =>
      rows.filter((r) => ids.includes(r.image_id));
  for (const [shard, ks] of [
    [0, ['a', 'b', 'c']],
    [1, ['d', 'e']],
  ] as const) {
    const pick = inShard(ks.map(id));
    await writeShard(storage, layout.kind(COLLECTION, 0, 'region_text', shard), 'region_text', pick(region_text));
    await writeShard(storage, layout.kind(COLLECTION, 0, 'text', shard), 'text', pick(texts));
    await writeShard(storage, layout.kind(COLLECTION, 0, 'text_phrase_region', shard), 'text_phrase_region', pick(tpr));
  }
  await writeShard(storage, layout.kind(COLLECTION, 0, 'errors', 1), 'errors', [
    { image_id: id('d'), shard: 1, stage: 'annotate:ocr', message: 'ocr: image d failed' },
  ]);
  // Round 1 exists but holds no annotation rows (an empty round).
  await writeShard(storage, layout.kind(COLLECTION, 1, 'text', 0), 'text', []);
  return { root: '', images, region_text, text: texts, text_phrase_region: tpr };
}

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `fld-${name}-`));

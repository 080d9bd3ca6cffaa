/**
 * A tiny collection "fx" with two rounds, small enough that every figure the stats tests expect was
 * worked out by hand from these rows (the expectations live in the tests, with the arithmetic).
 *
 * Images: img1 100x100, img2 200x100, img3 100x200.
 * Round 0: shard 0 holds img1's rows, shard 1 img2's. img3 has only an error row.
 * Round 1: t2 rewritten, t3 (and its phrases p2, p3) gone, r3 rescored, img3 gains t5, r4, p6.
 */
import type { Box, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { writeDoneMarker, writeImageShard, writeManifest, writeRoundShard } from './fixture-writer.ts';

type Parse = [
  objects: number,
  attributes: number,
  actions: number,
  proper_nouns: number,
  object_complexity: number,
  action_complexity: number,
];

function text(
  image_id: string,
  text_id: string,
  granularity: TextRecord['granularity'],
  t: string,
  source: string,
  p: Parse,
): Omit<TextRecord, 'round'> {
  const [objects, attributes, actions, proper_nouns, object_complexity, action_complexity] = p;
  return {
    image_id,
    text_id,
    granularity,
    text: t,
    source,
    score: null,
    sources: [source],
    objects,
    attributes,
    actions,
    proper_nouns,
    object_complexity,
    action_complexity,
  };
}

function region(
  image_id: string,
  region_id: string,
  kind: 'object' | 'text',
  box: Box,
  phrase: string,
  brief: string | null,
  source: string,
  score: number | null,
  sources = [source],
): Omit<RegionTextRecord, 'round'> {
  const [x0, y0, x1, y1] = box;
  const quad = kind === 'text' ? ([x0, y0, x1, y0, x1, y1, x0, y1] as RegionTextRecord['quad']) : null;
  return {
    image_id,
    region_id,
    kind,
    box,
    quad,
    phrase,
    brief,
    noun_chunks: brief ? [brief] : [],
    source,
    score,
    sources,
  };
}

function phrase(
  image_id: string,
  text_id: string,
  granularity: TextRecord['granularity'],
  p: string,
  start: number,
  boxes: Box[],
  source: string,
): Omit<TextPhraseRegionRecord, 'round'> {
  return {
    image_id,
    text_id,
    granularity,
    phrase: p,
    span: [start, start + p.length],
    boxes,
    source,
    score: 0.7,
    sources: [source],
  };
}

// Tokens (whitespace words): t1 3, t2 7 (a double space and a tab inside), t3 12, t4 16.
const t1 = text('img1', 't1', 'brief', 'a red circle', 'captioner@1', [1, 1, 0, 0, 2.0, 0.0]);
const t2 = text('img2', 't2', 'brief', 'two blue squares  sit\tnear a tree', 'captioner@1', [2, 2, 1, 0, 3.0, 2.0]);
const t3 = text(
  'img1',
  't3',
  'detailed',
  'A red circle sits above the long green line in Paris .',
  'florence2@0',
  [3, 2, 1, 1, 3.5, 3.0],
);
const t4 = text(
  'img2',
  't4',
  'more_detailed',
  'The image shows two blue squares that sit near a tall tree while a bird flies',
  'florence2@0',
  [4, 3, 3, 0, 4.0, 4.5],
);
const t2b = {
  ...text('img2', 't2', 'brief', 'two blue squares sit near a tall tree', 'florence2@1', [2, 3, 1, 0, 3.0, 2.0]),
  sources: ['captioner@1', 'florence2@1'],
};
const t5 = text('img3', 't5', 'brief', 'a green line', 'florence2@1', [1, 1, 0, 0, 2.0, 0.0]);

// Boxes and what they give on img1 (100x100) / img2 (200x100), worked out in stats.test.ts.
const B1: Box = [12, 10, 32, 55];
const B2: Box = [52, 50, 92, 62];
const B3: Box = [2, 0, 102, 93];
const r1 = region('img1', 'r1', 'object', B1, 'circle', 'a red circle', 'detector@1', 0.9);
const r2 = region('img1', 'r2', 'text', B2, 'HELLO WORLD', null, 'ocr@1', 0.8);
const r3 = region('img2', 'r3', 'object', B3, 'blue square', 'two blue squares near a tree', 'detector@1', null, [
  'detector@1',
  'grounding@1',
]);
const r3b = { ...r3, score: 0.95 };
const r4 = region('img3', 'r4', 'object', [10, 20, 60, 120], 'line', null, 'florence2@1', 0.6);

const p1 = phrase('img1', 't1', 'brief', 'a red circle', 0, [B1], 'grounding@1');
const p2 = phrase('img1', 't3', 'detailed', 'A red circle', 0, [B1], 'grounding@1');
const p3 = phrase(
  'img1',
  't3',
  'detailed',
  'the long green line',
  24,
  [
    [0, 80, 100, 85],
    [0, 90, 100, 95],
  ],
  'grounding@1',
);
const p4 = phrase('img2', 't2', 'brief', 'two blue squares', 0, [B3], 'grounding@1');
const p5 = phrase('img2', 't4', 'more_detailed', 'a tall tree', 57, [[152, 10, 192, 95]], 'florence2@0');
const p6 = phrase('img3', 't5', 'brief', 'a green line', 0, [[10, 20, 60, 120]], 'florence2@1');

const inRound = <T>(round: number, rows: T[]) => rows.map((r) => ({ ...r, round }));

const image = (image_id: string, width: number, height: number, shard: number) => ({
  image_id,
  uri: `file:///images/${image_id}.png`,
  width,
  height,
  collection: 'fx',
  shard,
  alt_text: null,
  existing_texts: [],
  existing_boxes: [],
  error: null,
});

export const COLLECTION = 'fx';

export async function writeFixture(root: string): Promise<void> {
  await writeImageShard(root, COLLECTION, 0, [image('img1', 100, 100, 0), image('img3', 100, 200, 0)]);
  await writeImageShard(root, COLLECTION, 1, [image('img2', 200, 100, 1)]);

  // Round 0: two shards.
  await writeRoundShard(root, COLLECTION, 0, 'text', 0, inRound(0, [t1, t3]));
  await writeRoundShard(root, COLLECTION, 0, 'text', 1, inRound(0, [t2, t4]));
  await writeRoundShard(root, COLLECTION, 0, 'region_text', 0, inRound(0, [r1, r2]));
  await writeRoundShard(root, COLLECTION, 0, 'region_text', 1, inRound(0, [r3]));
  await writeRoundShard(root, COLLECTION, 0, 'text_phrase_region', 0, inRound(0, [p1, p2, p3]));
  await writeRoundShard(root, COLLECTION, 0, 'text_phrase_region', 1, inRound(0, [p4, p5]));
  await writeRoundShard(root, COLLECTION, 0, 'errors', 0, [
    { image_id: 'img3', shard: 0, stage: 'annotate:ocr', message: 'decode failed' },
  ]);
  writeDoneMarker(root, COLLECTION, 0, 'annotate:detector', 0, { shard: 0 });
  writeDoneMarker(root, COLLECTION, 0, 'annotate:detector', 1, { shard: 1 });
  writeDoneMarker(root, COLLECTION, 0, 'merge', 0, {
    shard: 0,
    stats: {
      text_rules: { total: 6, kept: 4, dropped: { too_many_objects: 1, low_complexity: 1 } },
      box_nms: { total: 5, kept: 4, dropped: { overlap: 1 } },
    },
  });
  writeDoneMarker(root, COLLECTION, 0, 'merge', 1, {
    shard: 1,
    stats: { text_rules: { total: 4, kept: 2, dropped: { low_complexity: 2 } } },
  });
  writeManifest(root, COLLECTION, 0, { schema_version: 1, shards: [0, 1] });

  // Round 1: one shard for everything.
  await writeRoundShard(root, COLLECTION, 1, 'text', 0, inRound(1, [t1, t2b, t4, t5]));
  await writeRoundShard(root, COLLECTION, 1, 'region_text', 0, inRound(1, [r1, r2, r3b, r4]));
  await writeRoundShard(root, COLLECTION, 1, 'text_phrase_region', 0, inRound(1, [p1, p4, p5, p6]));
}

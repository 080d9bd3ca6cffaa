// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsForImage, type ImageLabels, type RowOptions } from '../../pipeline/export/training-rows.ts';
import { ExportConfig } from '../../schemas/export-config.ts';
import { EngineConfig } from '../../schemas/config.ts';
import type { RegionTextRecord } from '../../schemas/records.ts';

const prov = { round: 0, source: 'detector@1', score: null, sources: ['detector@1'] };
const obj = (
  image_id: string,
  region_id: string,
  phrase: string,
  brief: string | null,
  box: [number, number, number, number] = [10, 10, 50, 50],
): RegionTextRecord => ({
  image_id,
  region_id,
  kind: 'object',
  box,
  quad: null,
  phrase,
  brief,
  noun_chunks: [],
  ...prov,
});
const img = (id: string) => ({ image_id: id, file: `/x/${id}.png`, name: `${id}.png`, width: 100, height: 100 });
const opts = (o: Partial<RowOptions> = {}): RowOptions => ({
  tasks: { '<OD>': 1 },
  seed: 0,
  groundingGranularities: ['brief'],
  regionEchoLocs: false,
  ocrEmptyRows: true,
  ...o,
});
const labels = (region_text: RegionTextRecord[]): ImageLabels => ({ region_text, text: [], text_phrase_region: [] });

test('an object whose label cannot be written is left out of its target and counted, the rest kept', () => {
  const drops = new Map<string, number>();
  const rows = rowsForImage(
    img('i'),
    labels([obj('i', 'r1', 'a<b', null), obj('i', 'r2', 'dog', null), obj('i', 'r3', 'cat', null, [50, 50, 40, 40])]),
    'train',
    opts(),
    drops,
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0].suffix, 'dog<loc_100><loc_100><loc_500><loc_500>');
  assert.deepEqual(Object.fromEntries(drops), {
    "<OD>: contains '<' (the parser reads a label as text without '<')": 1,
    '<OD>: box is not finite or has x1 < x0 or y1 < y0': 1,
  });
});

test('the task mix: weight 0 leaves a task out, a fraction keeps about that share of images, the same ones for the same seed', () => {
  const many = Array.from({ length: 400 }, (_, i) => `img${i}`);
  const kept = (seed: number) =>
    many.filter(
      (id) =>
        rowsForImage(
          img(id),
          labels([obj(id, 'r', 'dog', 'a dog')]),
          'train',
          opts({ tasks: { '<OD>': 0.25, '<DENSE_REGION_CAPTION>': 0 }, seed }),
        ).length > 0,
    );
  const a = kept(1);
  assert.ok(a.length > 70 && a.length < 130, `${a.length} of 400 at 0.25`);
  assert.deepEqual(kept(1), a);
  assert.notDeepEqual(kept(2), a);
});

test('region rows echo the loc tokens only when asked', () => {
  const l = labels([obj('i', 'r', 'dog', 'a brown dog')]);
  const [bare] = rowsForImage(img('i'), l, 'train', opts({ tasks: { '<REGION_TO_DESCRIPTION>': 1 } }));
  const [echo] = rowsForImage(
    img('i'),
    l,
    'train',
    opts({ tasks: { '<REGION_TO_DESCRIPTION>': 1 }, regionEchoLocs: true }),
  );
  assert.equal(bare.prefix, '<REGION_TO_DESCRIPTION><loc_100><loc_100><loc_500><loc_500>');
  assert.equal(bare.suffix, 'a brown dog');
  assert.equal(echo.suffix, 'a brown dog<loc_100><loc_100><loc_500><loc_500>');
});

test('export config: defaults fill an empty section, the engine config carries it, bad splits are refused by field', () => {
  const d = ExportConfig.parse({});
  assert.deepEqual(d.splits, { train: 0.9, valid: 0.1, test: 0 });
  assert.equal(d.tasks['<OD>'], 1);
  assert.deepEqual(EngineConfig.parse({}).export, d);
  assert.equal(EngineConfig.parse({ export: { tasks: { '<OD>': 0.5 } } }).export.tasks['<CAPTION>'], 1);
  const bad = ExportConfig.safeParse({ splits: { train: 0.9, valid: 0.2 } });
  assert.ok(!bad.success && /add up to 1/.test(bad.error.message));
  assert.ok(!ExportConfig.safeParse({ tasks: { '<OCR>': 1 } }).success, 'unknown task refused');
});

test('trusted texts: a human detailed caption wins over a scored model one and its train rows are repeated; valid rows are not', () => {
  const t = (text_id: string, source: string, score: number | null, text: string) => ({
    image_id: 'i',
    text_id,
    round: 1,
    granularity: 'detailed' as const,
    text,
    source,
    score,
    sources: [source],
    objects: 1,
    attributes: 0,
    actions: 0,
    proper_nouns: 0,
    object_complexity: 0,
    action_complexity: 0,
  });
  const l: ImageLabels = {
    region_text: [],
    text_phrase_region: [],
    text: [t('a', 'model-round-1@1', 0.9, 'the image shows a dog'), t('b', 'human', null, 'the image shows two cats')],
  };
  const o = (trusted?: RowOptions['trustedTexts']) =>
    opts({ tasks: { '<DETAILED_CAPTION>': 1 }, trustedTexts: trusted });
  assert.deepEqual(
    rowsForImage(img('i'), l, 'train', o()).map((r) => r.suffix),
    ['the image shows a dog'],
    'without trusted sources the best score wins',
  );
  const rows = rowsForImage(img('i'), l, 'train', o({ sources: ['human'], repeat: 3 }));
  assert.deepEqual(
    rows.map((r) => r.suffix),
    Array(3).fill('the image shows two cats'),
  );
  assert.equal(rowsForImage(img('i'), l, 'valid', o({ sources: ['human'], repeat: 3 })).length, 1);
  // a model caption is not repeated
  const model = { ...l, text: [l.text[0]] };
  assert.equal(rowsForImage(img('i'), model, 'train', o({ sources: ['human'], repeat: 3 })).length, 1);
  assert.deepEqual(ExportConfig.parse({}).trustedTexts, { sources: ['human'], repeat: 1 });
  assert.ok(!ExportConfig.safeParse({ trustedTexts: { repeat: 0 } }).success);
});

test('cleaner targets: the caption comes from the source the verified set ranks best, a score deciding only within a source', () => {
  const t = (text_id: string, source: string, score: number | null, text: string) => ({
    image_id: 'i',
    text_id,
    round: 0,
    granularity: 'brief' as const,
    text,
    source,
    score,
    sources: [source],
    objects: 1,
    attributes: 0,
    actions: 0,
    proper_nouns: 0,
    object_complexity: 0,
    action_complexity: 0,
  });
  const l: ImageLabels = {
    region_text: [],
    text_phrase_region: [],
    text: [
      t('a', 'captioner@1', 0.95, 'A red star.'),
      t('b', 'alt_text', null, 'A blue circle and a square.'),
      t('c', 'captioner@1', 0.99, 'A red star and a square.'),
    ],
  };
  const o = (sourceRank?: RowOptions['sourceRank']) => opts({ tasks: { '<CAPTION>': 1 }, sourceRank });
  assert.deepEqual(
    rowsForImage(img('i'), l, 'train', o()).map((r) => r.suffix),
    ['A red star and a square.'],
    'without a ranking the best score wins, and an unscored alt-text comes last',
  );
  assert.deepEqual(
    rowsForImage(img('i'), l, 'train', o({ brief: ['alt_text', 'captioner@1'] })).map((r) => r.suffix),
    ['A blue circle and a square.'],
  );
  assert.deepEqual(
    rowsForImage(img('i'), l, 'train', o({ brief: ['captioner@1', 'alt_text'] })).map((r) => r.suffix),
    ['A red star and a square.'],
  );
  // an image without the best source takes the next one; a ranking of another granularity changes nothing
  assert.deepEqual(
    rowsForImage(img('i'), { ...l, text: [l.text[0]] }, 'train', o({ brief: ['alt_text', 'captioner@1'] })).map(
      (r) => r.suffix,
    ),
    ['A red star.'],
  );
  assert.deepEqual(
    rowsForImage(img('i'), l, 'train', o({ detailed: ['alt_text'] })).map((r) => r.suffix),
    ['A red star and a square.'],
  );
});

// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundStats } from '../../pipeline/stats/round-stats.ts';
import { writeFixture } from './fixture-rounds.ts';
import { fld } from './run-fld.ts';

/**
 * `fld stats` on the fixture of fixture-rounds.ts, run as a user would (node bin/fld.js). Every
 * expected number below was worked out by hand from the fixture rows; the arithmetic is beside it.
 */
let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-stats-'));
  await writeFixture(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

const close = (actual: number | null, expected: number, what: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: got ${actual}, expected ${expected}`);

// One run of the CLI serves the three tests that read round 0's JSON.
let round0Json: Promise<RoundStats> | undefined;
function round0(): Promise<RoundStats> {
  round0Json ??= fld(['stats', '--root', root, '--round', '0', '--json']).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as RoundStats;
  });
  return round0Json;
}

test('overview, Table 2 and Table 3 of round 0 match the hand count', async () => {
  const s = await round0();
  assert.equal(s.collection, 'fx'); // the only collection under the root
  assert.deepEqual(s.shards, { text: 2, region_text: 2, text_phrase_region: 2, errors: 1 });
  // img3 has only an error row, so 2 annotated images; 3 image records; p3 grounds to two boxes.
  assert.deepEqual(s.overview, {
    images: 2,
    text: 4,
    region_text: 3,
    region_kinds: { object: 2, text: 1 },
    text_phrase_region: 5,
    text_phrase_region_boxes: 6,
    errors: 1,
    collection_images: 3,
  });

  const t2 = Object.fromEntries(s.table2.map((r) => [`${r.annotation_type}/${r.text_type}`, r]));
  assert.equal(s.table2.length, 8);
  // Text: brief t1 (3 words) + t2 (7: the double space and tab separate words once) -> 5.
  assert.deepEqual(t2['Text/Brief'], {
    annotation_type: 'Text',
    text_type: 'Brief',
    image_annotations: 2,
    avg_tokens: 5,
    regions: null,
    avg_regions: null,
    avg_regional_tokens: null,
  });
  assert.equal(t2['Text/Detailed'].image_annotations, 1);
  close(t2['Text/Detailed'].avg_tokens, 12, 'detailed tokens'); // "A red circle sits above the long green line in Paris ."
  close(t2['Text/More detailed'].avg_tokens, 16, 'more detailed tokens');
  // Region-text phrases: "circle" 1, "HELLO WORLD" 2, "blue square" 2 over 3 regions on 2 images.
  const phrase = t2['Region-Text/Phrase'];
  assert.deepEqual([phrase.image_annotations, phrase.regions, phrase.avg_tokens], [2, 3, null]);
  close(phrase.avg_regions, 1.5, 'regions per image');
  close(phrase.avg_regional_tokens, 5 / 3, 'phrase tokens');
  // Region briefs: r1 "a red circle" 3, r3 "two blue squares near a tree" 6; r2 (OCR) has none.
  const brief = t2['Region-Text/Brief'];
  assert.deepEqual(
    [brief.image_annotations, brief.regions, brief.avg_regions, brief.avg_regional_tokens],
    [2, 2, 1, 4.5],
  );
  // Phrase-region: brief texts t1, t2 (5 words avg), 2 rows of 3 words.
  assert.deepEqual(t2['Text-Phrase-Region/Brief'], {
    annotation_type: 'Text-Phrase-Region',
    text_type: 'Brief',
    image_annotations: 2,
    avg_tokens: 5,
    regions: 2,
    avg_regions: 1,
    avg_regional_tokens: 3,
  });
  // Detailed: t3 (12 words) with "A red circle" (3) and "the long green line" (4).
  const det = t2['Text-Phrase-Region/Detailed'];
  assert.deepEqual(
    [det.image_annotations, det.avg_tokens, det.regions, det.avg_regions, det.avg_regional_tokens],
    [1, 12, 2, 2, 3.5],
  );
  const more = t2['Text-Phrase-Region/More detailed'];
  assert.deepEqual(
    [more.image_annotations, more.avg_tokens, more.regions, more.avg_regions, more.avg_regional_tokens],
    [1, 16, 1, 1, 3],
  );

  // Table 3 from the parse columns: brief = mean of t1 [1,1,0,0,2,0] and t2 [2,2,1,0,3,2].
  assert.deepEqual(s.table3, [
    {
      granularity: 'brief',
      image_annotations: 2,
      avg_tokens: 5,
      avg_objects: 1.5,
      avg_attributes: 1.5,
      avg_actions: 0.5,
      avg_proper_nouns: 0,
      avg_object_complexity: 2.5,
      avg_action_complexity: 1,
    },
    {
      granularity: 'detailed',
      image_annotations: 1,
      avg_tokens: 12,
      avg_objects: 3,
      avg_attributes: 2,
      avg_actions: 1,
      avg_proper_nouns: 1,
      avg_object_complexity: 3.5,
      avg_action_complexity: 3,
    },
    {
      granularity: 'more_detailed',
      image_annotations: 1,
      avg_tokens: 16,
      avg_objects: 4,
      avg_attributes: 3,
      avg_actions: 3,
      avg_proper_nouns: 0,
      avg_object_complexity: 4,
      avg_action_complexity: 4.5,
    },
  ]);
  assert.deepEqual(s.warnings, []);
});

test('per-source counts, filter pass rates and reasons of round 0 match the hand count', async () => {
  const s = await round0();
  const src = Object.fromEntries(s.sources.map((r) => [`${r.kind}/${r.source}`, [r.rows, r.contributed]]));
  assert.deepEqual(src, {
    'text/captioner@1': [2, 2],
    'text/florence2@0': [2, 2],
    // r3 was fused from the detector and grounding: grounding wrote no region row but took part in one.
    'region_text/detector@1': [2, 2],
    'region_text/ocr@1': [1, 1],
    'region_text/grounding@1': [0, 1],
    'text_phrase_region/grounding@1': [4, 4],
    'text_phrase_region/florence2@0': [1, 1],
  });
  assert.deepEqual(s.filters.stages, [
    { stage: 'annotate_detector', shards: 2, shards_with_stats: 0 },
    { stage: 'merge', shards: 2, shards_with_stats: 2 },
  ]);
  const f = Object.fromEntries(s.filters.filters.map((r) => [r.filter, r]));
  // text_rules: shard 0 6 in / 4 kept, shard 1 4 in / 2 kept; low_complexity 1 + 2.
  assert.deepEqual(f.text_rules, {
    stage: 'merge',
    filter: 'text_rules',
    total: 10,
    kept: 6,
    dropped: 4,
    pass_rate: 0.6,
    reasons: [
      { reason: 'low_complexity', n: 3 },
      { reason: 'too_many_objects', n: 1 },
    ],
    unaccounted: 0,
  });
  assert.deepEqual(
    [f.box_nms.total, f.box_nms.kept, f.box_nms.pass_rate, f.box_nms.reasons],
    [5, 4, 0.8, [{ reason: 'overlap', n: 1 }]],
  );
});

test('the Figure 5 data of round 0 matches the boxes worked out by hand', async () => {
  const { spatial: sp } = await round0();
  assert.deepEqual(sp.boxes, { region_text: 3, text_phrase_region: 6 });
  assert.equal(sp.degenerate, 0);
  assert.deepEqual(sp.normalised_by, { image_size: 2, box_extents: 0 });
  const bins = (rows: { kind: string; start: number; count: number }[], kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => [Math.round(r.start * 100) / 100, r.count]);
  // Areas: B1 20x45 / 100x100 = 0.09, B2 40x12 / 100x100 = 0.048, B3 100x93 / 200x100 = 0.465,
  // p3's two 100x5 boxes 0.05, p5 40x85 / 200x100 = 0.17; bins are 0.02 wide.
  assert.deepEqual(bins(sp.area, 'region_text'), [
    [0.04, 1],
    [0.08, 1],
    [0.46, 1],
  ]);
  assert.deepEqual(bins(sp.area, 'text_phrase_region'), [
    [0.04, 2],
    [0.08, 2],
    [0.16, 1],
    [0.46, 1],
  ]);
  close(sp.area.find((r) => r.kind === 'text_phrase_region' && r.count === 2)!.fraction, 2 / 6, 'fraction');
  // ln(w/h): B1 ln(20/45) = -0.81, B2 ln(40/12) = 1.20, B3 ln(100/93) = 0.07, p3 ln 20 = 3.00 (just under), p5 ln(40/85) = -0.75.
  assert.deepEqual(bins(sp.log_aspect, 'region_text'), [
    [-1, 1],
    [0, 1],
    [1.2, 1],
  ]);
  assert.deepEqual(bins(sp.log_aspect, 'text_phrase_region'), [
    [-1, 2],
    [-0.8, 1],
    [0, 1],
    [2.8, 2],
  ]);
  // Centres on a 20x20 grid: B1 (22, 32.5)/100 -> (4, 6); B2 (72, 56)/100 -> (14, 11); B3 (52, 46.5)/(200, 100) -> (5, 9);
  // p3 (50, 82.5) -> (10, 16) and (50, 92.5) -> (10, 18); p5 (172, 52.5)/(200, 100) -> (17, 10).
  const cells = (kind: string) =>
    sp.centres
      .filter((c) => c.kind === kind)
      .map((c) => [c.x, c.y, c.count])
      .sort();
  assert.deepEqual(cells('region_text'), [
    [14, 11, 1],
    [4, 6, 1],
    [5, 9, 1],
  ]);
  assert.deepEqual(cells('text_phrase_region'), [
    [10, 16, 1],
    [10, 18, 1],
    [17, 10, 1],
    [4, 6, 2],
    [5, 9, 1],
  ]);
});

test('--diff says what round 1 added, removed and changed versus round 0', async () => {
  const r = await fld(['stats', '--root', root, '--collection', 'fx', '--round', '1', '--diff', '0', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const d = (JSON.parse(r.stdout) as RoundStats).diff!;
  assert.deepEqual([d.from_round, d.to_round], [0, 1]);
  const c = (key: string, before: number, after: number, added: number, removed: number, changed: number) => ({
    key,
    before,
    after,
    added,
    removed,
    changed,
  });
  const k = Object.fromEntries(d.kinds.map((x) => [x.kind, x]));
  // text: t2 rewritten (changed), t3 gone (removed), t5 new (added).
  assert.deepEqual(k.text.rows, c('all', 4, 4, 1, 1, 1));
  assert.deepEqual(k.text.groups, [
    c('brief', 2, 3, 1, 0, 1),
    c('detailed', 1, 0, 0, 1, 0),
    c('more_detailed', 1, 1, 0, 0, 0),
  ]);
  assert.deepEqual(k.text.sources, [
    c('captioner@1', 2, 1, 0, 0, 0),
    c('florence2@0', 2, 1, 0, 1, 0),
    c('florence2@1', 0, 2, 1, 0, 1),
  ]);
  assert.equal(k.text.images_changed, 3);
  // region_text: r3 rescored (changed), r4 new.
  assert.deepEqual(k.region_text.rows, c('all', 3, 4, 1, 0, 1));
  assert.deepEqual(k.region_text.groups, [c('object', 2, 3, 1, 0, 1), c('text', 1, 1, 0, 0, 0)]);
  assert.deepEqual(k.region_text.sources, [
    c('detector@1', 2, 2, 0, 0, 1),
    c('florence2@1', 0, 1, 1, 0, 0),
    c('ocr@1', 1, 1, 0, 0, 0),
  ]);
  assert.equal(k.region_text.images_changed, 2);
  // text_phrase_region: t3's p2 and p3 gone, p6 new; p4 keeps its ids and content although t2 changed.
  assert.deepEqual(k.text_phrase_region.rows, c('all', 5, 4, 1, 2, 0));
  assert.deepEqual(k.text_phrase_region.sources, [
    c('florence2@0', 1, 1, 0, 0, 0),
    c('florence2@1', 0, 1, 1, 0, 0),
    c('grounding@1', 4, 2, 0, 2, 0),
  ]);
  assert.equal(k.text_phrase_region.images_changed, 2);
  assert.equal(d.images_changed, 3);
  assert.deepEqual(d.images_changed_sample, ['img1', 'img2', 'img3']);
});

test('the terminal tables are aligned: numbers right-aligned under their headers', async () => {
  const r = await fld(['stats', '--root', root, '--round', '0']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const header = lines.find((l) => l.startsWith('Annotation Type'))!;
  const row = lines.find((l) => /^Text\s+Brief\s/.test(l))!;
  assert.match(row, /^Text\s+Brief\s+2\s+5\.00\s+-\s+-\s+-$/);
  const end = (line: string, s: string, from = 0) => line.indexOf(s, from) + s.length;
  assert.equal(end(row, '5.00'), end(header, '#Avg Tokens'));
  assert.equal(row.length, header.length); // the last column ends where its header does
  assert.match(r.stdout, /^Filter pass rates$/m);
  assert.match(r.stdout, /^merge\s+text_rules\s+10\s+6\s+4\s+60\.0%$/m);
});

// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFixture } from './fixture-rounds.ts';
import { writeRoundShard } from './fixture-writer.ts';
import { fld } from './run-fld.ts';
import { layout } from '../../pipeline/layout.ts';
import { KIND_FIGURES, parseQualityTable } from '../../pipeline/stats/quality-table.ts';
import type { QualitySet } from '../../schemas/round-quality.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';

let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-stats-html-'));
  await writeFixture(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('--html writes a self-contained report with the tables and decodable PNG plots', async () => {
  const out = join(root, 'report.html');
  const r = await fld(['stats', '--root', root, '--round', '1', '--diff', '0', '--html', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`HTML report: ${out.replaceAll('/', '\\/')}`));
  const html = readFileSync(out, 'utf8');

  // Nothing outside the file: no scripts, stylesheets or images fetched from elsewhere.
  assert.doesNotMatch(html, /<script|<link|src="(?!data:)/);
  for (const title of [
    'Table 2: annotations per type',
    'Table 3: semantic elements of texts per granularity',
    'Rows per source',
    'Filter pass rates',
    'Diff round 1 vs round 0: rows per kind',
  ]) {
    assert.ok(html.includes(`<h2>${title}</h2>`), `missing table "${title}"`);
  }
  // Round 1 brief texts: t1 3 words, t2 rewritten to 8, t5 3 -> 14 / 3 = 4.67.
  assert.match(html, /<tr><td>Text<\/td><td>Brief<\/td><td class="n">3<\/td><td class="n">4\.67<\/td>/);
  // The diff row for text: 4 -> 4, one added, one removed, one changed, 3 images.
  assert.match(
    html,
    /<tr><td>text<\/td><td class="n">4<\/td><td class="n">4<\/td><td class="n">0<\/td><td class="n">1<\/td><td class="n">1<\/td><td class="n">1<\/td><td class="n">3<\/td><\/tr>/,
  );

  const pngs = [...html.matchAll(/<img alt="([^"]+)" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/g)];
  assert.deepEqual(
    pngs.map((m) => m[1]),
    ['Box area (fraction of the image)', 'Log aspect ratio', 'Box-centre heatmaps'],
  );
  for (const [, alt, b64] of pngs) {
    const img = sharp(Buffer.from(b64, 'base64'));
    const meta = await img.metadata();
    assert.equal(meta.format, 'png', alt);
    // Two facets side by side at 2x density: wide, and tall enough to hold axes and a title.
    assert.ok(
      meta.width! >= 800 && meta.width! <= 4000 && meta.height! >= 300 && meta.height! <= 2000,
      `${alt}: ${meta.width}x${meta.height}`,
    );
    const stats = await img.stats();
    // Not a blank canvas: some pixels are dark (axes, text), most are the white background.
    assert.ok(stats.channels[0].min < 100 && stats.channels[0].max === 255, `${alt} looks blank`);
  }
});

test('a round without boxes gets a report that says so instead of empty plots', async () => {
  const textOnly = join(root, 'text-only');
  await writeRoundShard(textOnly, 'c', 0, 'text', 0, [
    {
      image_id: 'i',
      round: 0,
      text_id: 't',
      granularity: 'brief',
      text: 'a b',
      source: 's',
      score: null,
      sources: ['s'],
      objects: 1,
      attributes: 0,
      actions: 0,
      proper_nouns: 0,
      object_complexity: 1,
      action_complexity: 0,
    },
  ]);
  const out = join(textOnly, 'report.html');
  const r = await fld(['stats', '--root', textOnly, '--round', '0', '--html', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /No boxes in this round, so no plots\./);
  assert.doesNotMatch(html, /<img/);
});

test('rounds scored against a world: the report carries the quality per round as a table and a plot; a block of another version is left out with a note', async () => {
  const scored = join(root, 'scored');
  await writeFixture(scored);
  const set = (round: number, boxF1: number): QualitySet => ({
    collection: 'fx',
    round,
    world: { name: 'w', seed: 1 },
    images: 3,
    excluded_rows: 0,
    boxes: { tp: 3, fp: 1, fn: 1, precision: 0.75, recall: 0.75, f1: boxF1 },
    captions: {
      brief: { captioned: 3, precision: 0.9, recall: 0.6, f1: 0.72 },
      detailed: { captioned: 0, precision: 1, recall: 1, f1: 1 },
      more_detailed: { captioned: 0, precision: 1, recall: 1, f1: 1 },
    },
    grounding: {
      phrases: 4,
      correct: 3,
      accuracy: 0.75,
      by_granularity: {
        brief: { phrases: 4, correct: 3, accuracy: 0.75 },
        detailed: { phrases: 0, correct: 0, accuracy: 1 },
        more_detailed: { phrases: 0, correct: 0, accuracy: 1 },
      },
    },
    region_briefs: { described: 3, correct: 2, accuracy: 2 / 3 },
    ocr: { cer: 0.1, truth_chars: 20, edits: 2, word_recall: 0.8, word_precision: 0.8 },
  });
  const manifest = (r: number, quality: unknown) =>
    writeFileSync(join(scored, layout.manifest('fx', r)), JSON.stringify({ schema_version: SCHEMA_VERSION, quality }));
  manifest(0, { quality_version: 1, scored_at: new Date().toISOString(), annotated: set(0, 0.5) });
  manifest(1, { quality_version: 1, scored_at: new Date().toISOString(), annotated: set(1, 0.625) });
  const out = join(scored, 'report.html');
  const r = await fld(['stats', '--root', scored, '--round', '1', '--html', out]);
  assert.equal(r.code, 0, r.stderr);
  // the terminal table, read back: a figure of every kind in both rounds
  const t = parseQualityTable(r.stdout, "Quality per round against the world's truth (fx)");
  assert.deepEqual(t.labels, ['round 0', 'round 1']);
  assert.deepEqual(t.figures.get('box F1 @0.5'), [0.5, 0.625]);
  for (const k of KIND_FIGURES)
    assert.ok(
      t.figures.get(k)!.every((v) => typeof v === 'number' && Number.isFinite(v)),
      k,
    );
  assert.deepEqual(
    t.figures.get('detailed caption F1'),
    [null, null],
    'no detailed captions: "-", not a perfect score',
  );
  assert.deepEqual(t.figures.get('detailed grounding accuracy'), [null, null], 'no detailed groundings: "-"');
  const html = readFileSync(out, 'utf8');
  assert.ok(
    html.includes('<h2>Quality per round against the world&#39;s truth (fx)</h2>') ||
      html.includes("<h2>Quality per round against the world's truth (fx)</h2>"),
  );
  assert.match(html, /<td>region description accuracy<\/td><td class="n">0\.667<\/td><td class="n">0\.667<\/td>/);
  const plot = /<img alt="Quality per round" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/.exec(html);
  assert.ok(plot, 'the quality plot');
  assert.equal((await sharp(Buffer.from(plot[1], 'base64')).metadata()).format, 'png');

  manifest(0, { quality_version: 99, annotated: set(0, 0.5) });
  const r2 = await fld(['stats', '--root', scored, '--round', '1']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(parseQualityTable(r2.stdout, "Quality per round against the world's truth (fx)").labels, [
    'round 1',
  ]);
  assert.match(r2.stdout, /round 0: its manifest's quality block is not readable here/);
});

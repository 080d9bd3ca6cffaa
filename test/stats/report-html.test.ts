import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFixture } from './fixture-rounds.ts';
import { writeRoundShard } from './fixture-writer.ts';
import { fld } from './run-fld.ts';

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
  for (const title of ['Table 2: annotations per type', 'Table 3: semantic elements of texts per granularity', 'Rows per source',
    'Filter pass rates', 'Diff round 1 vs round 0: rows per kind']) {
    assert.ok(html.includes(`<h2>${title}</h2>`), `missing table "${title}"`);
  }
  // Round 1 brief texts: t1 3 words, t2 rewritten to 8, t5 3 -> 14 / 3 = 4.67.
  assert.match(html, /<tr><td>Text<\/td><td>Brief<\/td><td class="n">3<\/td><td class="n">4\.67<\/td>/);
  // The diff row for text: 4 -> 4, one added, one removed, one changed, 3 images.
  assert.match(html, /<tr><td>text<\/td><td class="n">4<\/td><td class="n">4<\/td><td class="n">0<\/td><td class="n">1<\/td><td class="n">1<\/td><td class="n">1<\/td><td class="n">3<\/td><\/tr>/);

  const pngs = [...html.matchAll(/<img alt="([^"]+)" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/g)];
  assert.deepEqual(pngs.map((m) => m[1]), ['Box area (fraction of the image)', 'Log aspect ratio', 'Box-centre heatmaps']);
  for (const [, alt, b64] of pngs) {
    const img = sharp(Buffer.from(b64, 'base64'));
    const meta = await img.metadata();
    assert.equal(meta.format, 'png', alt);
    // Two facets side by side at 2x density: wide, and tall enough to hold axes and a title.
    assert.ok(meta.width! >= 800 && meta.width! <= 4000 && meta.height! >= 300 && meta.height! <= 2000, `${alt}: ${meta.width}x${meta.height}`);
    const stats = await img.stats();
    // Not a blank canvas: some pixels are dark (axes, text), most are the white background.
    assert.ok(stats.channels[0].min < 100 && stats.channels[0].max === 255, `${alt} looks blank`);
  }
});

test('a round without boxes gets a report that says so instead of empty plots', async () => {
  const textOnly = join(root, 'text-only');
  await writeRoundShard(textOnly, 'c', 0, 'text', 0, [{
    image_id: 'i', round: 0, text_id: 't', granularity: 'brief', text: 'a b', source: 's', score: null, sources: ['s'],
    objects: 1, attributes: 0, actions: 0, proper_nouns: 0, object_complexity: 1, action_complexity: 0,
  }]);
  const out = join(textOnly, 'report.html');
  const r = await fld(['stats', '--root', textOnly, '--round', '0', '--html', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /No boxes in this round, so no plots\./);
  assert.doesNotMatch(html, /<img/);
});

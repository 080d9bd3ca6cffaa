// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { chromiumMissing, launchChromium } from '../helpers/chromium.ts';
import { writeFixture } from './fixture-rounds.ts';
import { fld } from './run-fld.ts';

let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-stats-browser-'));
  await writeFixture(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('the --html report opened as a file in Chromium renders its tables and plots', {
  skip: chromiumMissing(),
}, async () => {
  const report = join(root, 'report.html');
  const r = await fld(['stats', '--root', root, '--round', '1', '--diff', '0', '--html', report]);
  assert.equal(r.code, 0, r.stderr);

  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    // A self-contained report loads nothing else: any request but the file itself is a defect.
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    assert.deepEqual(requests, [pathToFileURL(report).href]);

    for (const h of [
      'Table 2: annotations per type',
      'Table 3: semantic elements of texts per granularity',
      'Rows per source',
      'Filter pass rates',
      'Diff round 1 vs round 0: rows per kind',
    ]) {
      assert.equal(await page.locator('h2', { hasText: h }).count(), 1, h);
    }
    // Rendered cells, not just markup: Table 2's brief text row and the diff row of text (see report-html.test.ts).
    assert.match(await page.locator('table tr', { hasText: 'Brief' }).first().innerText(), /^Text\s+Brief\s+3\s+4\.67/);
    const diffTable = page
      .locator('h2', { hasText: 'Diff round 1 vs round 0: rows per kind' })
      .locator('xpath=following-sibling::table[1]');
    assert.match(
      await diffTable
        .locator('tr')
        .filter({ has: page.locator('td', { hasText: /^text$/ }) })
        .innerText(),
      /^text\s+4\s+4\s+0\s+1\s+1\s+1\s+3$/,
    );

    const imgs = await page.locator('img').evaluateAll((els) =>
      (els as HTMLImageElement[]).map((i) => {
        const box = i.getBoundingClientRect();
        return {
          alt: i.alt,
          complete: i.complete,
          w: i.naturalWidth,
          h: i.naturalHeight,
          shownW: box.width,
          shownH: box.height,
        };
      }),
    );
    assert.deepEqual(
      imgs.map((i) => i.alt),
      ['Box area (fraction of the image)', 'Log aspect ratio', 'Box-centre heatmaps'],
    );
    for (const i of imgs) {
      assert.ok(i.complete && i.w > 0 && i.h > 0, `${i.alt} not decoded: ${JSON.stringify(i)}`);
      // Laid out on the page at a readable size, not collapsed or overflowing the viewport.
      assert.ok(i.shownW >= 400 && i.shownW <= 1280 && i.shownH >= 150, `${i.alt} shown at ${i.shownW}x${i.shownH}`);
    }

    // Outside the fixture root so FLD_KEEP_SCREENSHOTS=1 can keep it to look at.
    const shot = join(mkdtempSync(join(tmpdir(), 'fld-stats-shot-')), 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const meta = await sharp(shot).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width === 1280 && meta.height! >= 1500, `screenshot ${meta.width}x${meta.height}`);
    // The plots region of the screenshot has ink: crop the first plot where the page put it.
    const plot = await page.locator('img').first().boundingBox();
    const crop = await sharp(shot)
      .extract({
        left: Math.round(plot!.x),
        top: Math.round(plot!.y),
        width: Math.round(plot!.width),
        height: Math.round(plot!.height),
      })
      .stats();
    assert.ok(crop.channels[0]!.min < 100 && crop.channels[0]!.max > 200, 'the first plot is blank in the screenshot');
    if (process.env.FLD_KEEP_SCREENSHOTS) console.log(`screenshot kept: ${shot}`);
    else rmSync(dirname(shot), { recursive: true, force: true });
  } finally {
    await browser.close();
  }
});

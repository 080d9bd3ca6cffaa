// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { chromiumMissing, launchChromium } from '../helpers/chromium.ts';
import { writeFixture } from '../stats/fixture-rounds.ts';
import { startDashboardChild, type DashboardChild } from './child.ts';

const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `{fldtest-${randomBytes(4).toString('hex')}}`;
let root: string;
let dash: DashboardChild;
const queues: Queue[] = [];

async function settle(q: Queue, done: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const c = await q.getJobCounts('completed', 'failed');
    if (c.completed! + c.failed! >= done) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${q.name}: jobs did not finish`);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-dashboard-'));
  await writeFixture(root);
  // fld.detect: 2 completed + 1 failed; fld.ocr: 2 completed; fld.merge: 1 waiting;
  // fldtest.extra: a queue outside the engine's list, found only by discovery (1 waiting).
  const [detect, ocr, merge, extra] = ['fld.detect', 'fld.ocr', 'fld.merge', 'fldtest.extra'].map(
    (n) => new Queue(n, { connection, prefix }),
  );
  queues.push(detect!, ocr!, merge!, extra!);
  await detect!.addBulk([
    { name: 'shard-00000', data: {} },
    { name: 'shard-00001', data: {} },
    { name: 'bad-shard', data: {} },
  ]);
  await ocr!.addBulk([
    { name: 'shard-00000', data: {} },
    { name: 'shard-00001', data: {} },
  ]);
  await merge!.add('shard-00000', {});
  await extra!.add('x', {});
  const process = async (job: { name: string }) => {
    if (job.name === 'bad-shard') throw new Error('decode failed: bad-shard');
    return { ok: true };
  };
  const workers = [
    new Worker('fld.detect', process, { connection, prefix }),
    new Worker('fld.ocr', process, { connection, prefix }),
  ];
  await settle(detect!, 3);
  await settle(ocr!, 2);
  await Promise.all(workers.map((w) => w.close()));
  // A password Redis does not need is accepted (with a warning); it must never be printed.
  dash = await startDashboardChild(['--queue-prefix', prefix, '--root', root, '--collection', 'fx', '--round', '1'], {
    ...globalThis.process.env,
    REDIS_URL: 'redis://:s3cr3t-pw@127.0.0.1:6379',
  });
});

after(async () => {
  const code = await dash?.stop();
  for (const q of queues) {
    await q.obliterate({ force: true });
    await q.close();
  }
  // The board's own Queue objects may have left keys (meta) under the prefix.
  const redis = new Redis(connection);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  rmSync(root, { recursive: true, force: true });
  if (dash) assert.equal(code, 0, `fld dashboard did not exit cleanly on SIGTERM:\n${dash?.output()}`);
});

test('fld dashboard prints its loopback URL and masks the Redis password', () => {
  assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.doesNotMatch(dash.output(), /s3cr3t-pw/);
  assert.match(dash.output(), /redis:\/\/:\*\*\*@127\.0\.0\.1:6379/);
});

test('the queue API lists the engine queues plus discovered ones with their counts', async () => {
  const res = await fetch(`${dash.url}queues/api/queues`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { queues: { name: string; counts: Record<string, number> }[] };
  const byName = new Map(body.queues.map((q) => [q.name, q.counts]));
  for (const n of [
    'fld.merge',
    'fld.detect',
    'fld.regioncap',
    'fld.ocr',
    'fld.ground',
    'fld.caption',
    'fld.train',
    'fldtest.extra',
  ]) {
    assert.ok(byName.has(n), `queue ${n} missing from ${[...byName.keys()].join(', ')}`);
  }
  assert.equal(byName.get('fld.detect')!.completed, 2);
  assert.equal(byName.get('fld.detect')!.failed, 1);
  assert.equal(byName.get('fld.merge')!.waiting, 1);
  // Looking does not create: the engine queues nobody used have no keys after the board listed them.
  const redis = new Redis(connection);
  try {
    assert.deepEqual(await redis.keys(`${prefix}:fld.train:*`), []);
  } finally {
    await redis.quit();
  }
});

test('the rounds page links every round; the stats page answers bad input with the stats message, not a crash', async () => {
  const missing = await fetch(`${dash.url}stats?round=9`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /round/);
  const index = await fetch(`${dash.url}rounds`);
  assert.equal(index.status, 200);
  const links = [...(await index.text()).matchAll(/<a href="(\/stats\?[^"]+)">([^<]+)<\/a>/g)].map(
    (m) => `${m[2]} -> ${m[1]}`,
  );
  assert.deepEqual(links, [
    'fx round 0 -> /stats?collection=fx&amp;round=0',
    'fx round 1 -> /stats?collection=fx&amp;round=1',
  ]);
  const bad = await fetch(`${dash.url}stats?round=x`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /round must be a whole number &gt;= 0, got &quot;x&quot;/);
});

async function checkScreenshot(path: string, what: string): Promise<void> {
  const img = sharp(path);
  const meta = await img.metadata();
  assert.equal(meta.format, 'png', what);
  assert.ok(
    meta.width === 1280 && meta.height! >= 900 && meta.height! <= 20_000,
    `${what}: ${meta.width}x${meta.height}`,
  );
  const { channels } = await img.stats();
  assert.ok(channels[0]!.min < 100 && channels[0]!.max > 200, `${what} looks blank`);
}

test('in Chromium: the queue page shows the queues and their job counts, the stats page its plots and tables', {
  skip: chromiumMissing(),
}, async () => {
  const shots = mkdtempSync(join(tmpdir(), 'fld-dashboard-shots-'));
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${dash.url}queues`);
    const card = (name: string) => page.locator('main li').filter({ has: page.locator(`a[title="${name}"]`) });
    await card('fld.detect').getByText('3 Jobs').waitFor({ timeout: 30_000 });
    assert.match(await card('fld.detect').innerText(), /FAILED\s*1/);
    assert.match(await card('fld.ocr').innerText(), /\b2 Jobs/);
    assert.match(await card('fld.merge').innerText(), /\b1 Jobs?/);
    assert.match(await card('fldtest.extra').innerText(), /\b1 Jobs?/);
    for (const n of ['fld.regioncap', 'fld.ground', 'fld.caption', 'fld.train'])
      assert.match(await card(n).innerText(), /\b0 Jobs/, n);
    // The status tabs sum over all queues: 4 completed, 1 failed.
    assert.match(await page.locator('main a[href="/queues/?status=completed"]').innerText(), /COMPLETED\s*4/);
    assert.match(await page.locator('main a[href="/queues/?status=failed"]').innerText(), /FAILED\s*1/);
    await page.screenshot({ path: join(shots, 'queues.png'), fullPage: true });
    await checkScreenshot(join(shots, 'queues.png'), 'queue page');

    await page.goto(`${dash.url}queues/queue/fld.detect?status=failed`);
    await page.locator('main').getByText('decode failed: bad-shard').first().waitFor({ timeout: 30_000 });
    assert.match(await page.locator('main').innerText(), /bad-shard/);

    await page.goto(`${dash.url}stats`);
    await page.locator('h2', { hasText: 'Table 2: annotations per type' }).waitFor({ timeout: 60_000 });
    for (const h of ['Table 3: semantic elements of texts per granularity', 'Rows per source', 'Filter pass rates']) {
      assert.equal(await page.locator('h2', { hasText: h }).count(), 1, h);
    }
    assert.ok((await page.locator('table').count()) >= 5);
    // Round 1 brief texts: 3 texts, 4.67 tokens on average (worked out in test/stats/report-html.test.ts).
    assert.match(await page.locator('table tr', { hasText: 'Brief' }).first().innerText(), /Text\s+Brief\s+3\s+4\.67/);
    const imgs = await page.locator('img').evaluateAll((els) =>
      (els as HTMLImageElement[]).map((i) => ({
        alt: i.alt,
        complete: i.complete,
        w: i.naturalWidth,
        h: i.naturalHeight,
      })),
    );
    assert.deepEqual(
      imgs.map((i) => i.alt),
      ['Box area (fraction of the image)', 'Log aspect ratio', 'Box-centre heatmaps'],
    );
    for (const i of imgs) assert.ok(i.complete && i.w > 0 && i.h > 0, `${i.alt} not decoded: ${JSON.stringify(i)}`);
    await page.screenshot({ path: join(shots, 'stats.png'), fullPage: true });
    await checkScreenshot(join(shots, 'stats.png'), 'stats page');
    if (process.env.FLD_KEEP_SCREENSHOTS) console.log(`screenshots kept in ${shots}`);
  } finally {
    await browser.close();
    if (!process.env.FLD_KEEP_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  }
});

// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { S3Storage } from '../../pipeline/storage/s3.ts';
import { putFolder } from '../helpers/put-folder.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { writeFixture } from '../stats/fixture-rounds.ts';
import { startDashboardChild, type DashboardChild } from './child.ts';

/**
 * `fld dashboard --root s3://bucket/prefix` (s3rver on loopback): the rounds page lists the rounds
 * under the prefix and links each to its report, which renders from the same storage.
 */
const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `{fldtest-${randomBytes(4).toString('hex')}}`;
let fixture: string;
let s3: S3rverHandle;
let env: NodeJS.ProcessEnv;
let dash: DashboardChild;

before(async () => {
  fixture = mkdtempSync(join(tmpdir(), 'fld-dashboard-s3-'));
  await writeFixture(fixture);
  s3 = await startS3rver({ prefix: 'data/run-1' });
  await putFolder(s3.storage, fixture);
  // A second collection, listed first, whose rounds sort by number (2 before 10); then things that are no rounds.
  await s3.storage.put('b-coll/round-10/_plan.json', '{}');
  await s3.storage.put('b-coll/round-2/text/shard-00000.parquet', 'x');
  await s3.storage.put('fx/round-7', 'an object, not a folder');
  await s3.storage.put('fx/round-x/a.json', '{}');
  await s3.storage.put('loose/readme.txt', 'a folder without rounds');
  // Beside the prefix: in the bucket, not in this storage.
  const bucket = new S3Storage({ ...s3.options, prefix: '' });
  try {
    await bucket.put('data/run-2/other/round-3/_manifest.json', '{}');
  } finally {
    await bucket.close();
  }
  env = { ...process.env, ...s3.env };
  dash = await startDashboardChild(['--queue-prefix', prefix, '--root', `s3://${s3.bucket}/data/run-1`], env);
});

after(async () => {
  const code = await dash?.stop();
  const redis = new Redis(connection);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await s3?.close();
  rmSync(fixture, { recursive: true, force: true });
  if (dash) assert.equal(code, 0, `fld dashboard did not exit cleanly on SIGTERM:\n${dash?.output()}`);
});

const linksOf = (html: string): string[] =>
  [...html.matchAll(/<a href="(\/stats\?[^"]+)">([^<]+)<\/a>/g)].map((m) => `${m[2]} -> ${m[1]}`);

test('fld dashboard names the S3 storage it reads, never the credentials', () => {
  assert.match(dash.output(), new RegExp(`stats of s3://${s3.bucket}/data/run-1/: http://`));
  assert.doesNotMatch(dash.output(), /S3RVER/);
});

test('the rounds page lists every round folder under the S3 prefix, by collection then round number', async () => {
  const res = await fetch(`${dash.url}rounds`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, new RegExp(`Under <code>s3://${s3.bucket}/data/run-1/</code>`));
  assert.deepEqual(linksOf(html), [
    'b-coll round 2 -> /stats?collection=b-coll&amp;round=2',
    'b-coll round 10 -> /stats?collection=b-coll&amp;round=10',
    'fx round 0 -> /stats?collection=fx&amp;round=0',
    'fx round 1 -> /stats?collection=fx&amp;round=1',
  ]);
});

test("a round's link opens its report, read from the S3 storage", async () => {
  const res = await fetch(`${dash.url}stats?collection=fx&round=1`);
  const html = await res.text();
  assert.equal(res.status, 200, html.slice(0, 2000));
  assert.match(html, /Table 2: annotations per type/);
  assert.match(html, /<a href="\/rounds">Rounds<\/a>/);
  assert.match(html, new RegExp(`s3://${s3.bucket}/data/run-1/`));
});

test('an S3 prefix without rounds says so, naming the storage; one that cannot be listed is a 500 naming it', async () => {
  const empty = await startDashboardChild(['--queue-prefix', prefix, '--root', `s3://${s3.bucket}/nothing-here`], env);
  try {
    const res = await fetch(`${empty.url}rounds`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), new RegExp(`No rounds under <code>s3://${s3.bucket}/nothing-here/</code> yet`));
  } finally {
    assert.equal(await empty.stop(), 0, empty.output());
  }
  const missing = await startDashboardChild(['--queue-prefix', prefix, '--root', 's3://no-such-bucket-fld/x'], env);
  try {
    const res = await fetch(`${missing.url}rounds`);
    const html = await res.text();
    assert.equal(res.status, 500, html);
    assert.match(html, /storage s3:\/\/no-such-bucket-fld\/x\/: listFolders/);
    assert.doesNotMatch(html, /S3RVER/);
  } finally {
    assert.equal(await missing.stop(), 0, missing.output());
  }
});

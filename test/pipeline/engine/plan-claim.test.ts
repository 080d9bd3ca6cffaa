// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../../schemas/config.ts';
import { PlanConflictError, roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { claimListing, listImageShards, listingKey, readRoundPlan } from '../../../pipeline/engine/plan-files.ts';
import { layout } from '../../../pipeline/layout.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { LocalStorage } from '../../../pipeline/storage/local.ts';
import { S3Storage } from '../../../pipeline/storage/s3.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';
import { startS3rver } from '../../helpers/s3rver.ts';
import { makeWorld } from './harness.ts';

/**
 * A round's plan and its collection's listing plan are each created once (a conditional create);
 * an enqueue that loses to a different plan is refused before it writes anything. The races are
 * played out deterministically: the loser is made to miss the winner's plan on its first look.
 */
let world: { dir: string; manifest: string };
let dir: string;
let n = 0;
before(async () => {
  world = await makeWorld(12, 4);
  dir = await mkdtemp(join(tmpdir(), 'fld-plan-claim-'));
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const fresh = (): LocalStorage => new LocalStorage(join(dir, `s${n++}`));
const config = (o: Record<string, unknown> = {}) =>
  EngineConfig.parse({ storage: dir, specialists: { ocr: 'ppocr-v4' }, ...o });

/** The storage as an enqueue sees it that looked for `key` just before another enqueue created it. */
function missesOnce(s: Storage, key: string): Storage {
  let missed = false;
  return new Proxy(s, {
    get(target, prop, recv) {
      if (prop === 'exists') {
        return async (k: string) => {
          if (k === key && !missed) {
            missed = true;
            return false;
          }
          return target.exists(k);
        };
      }
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('putIfAbsent on a local folder: of many writers at once exactly one creates, the object is whole, no temp file is left', async () => {
  const s = fresh();
  const bodies = Array.from({ length: 12 }, (_, i) => JSON.stringify({ writer: i, pad: 'x'.repeat(50_000) }));
  const results = await Promise.all(bodies.map((b) => s.putIfAbsent('c/round-0/_plan.json', b)));
  assert.equal(results.filter(Boolean).length, 1);
  const winner = results.indexOf(true);
  assert.equal(Buffer.from(await s.get('c/round-0/_plan.json')).toString(), bodies[winner]);
  assert.deepEqual(await readdir(join(s.root, 'c/round-0')), ['_plan.json']);
  assert.equal(await s.putIfAbsent('c/round-0/_plan.json', 'other'), false);
  assert.equal(Buffer.from(await s.get('c/round-0/_plan.json')).toString(), bodies[winner]);
});

test('putIfAbsent on S3: If-None-Match is sent; 412 is "exists", a 409 is retried; a new key is created (s3rver)', async () => {
  const s3 = await startS3rver();
  try {
    assert.equal(await s3.storage.putIfAbsent('c/once.json', '{"a":1}'), true);
    assert.equal(Buffer.from(await s3.storage.get('c/once.json')).toString(), '{"a":1}');
  } finally {
    await s3.close();
  }
  // s3rver ignores If-None-Match on PUT, so S3's answers are played by a stub client
  const s = new S3Storage({
    bucket: 'b',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 3,
  });
  const sent: unknown[] = [];
  const answers: (number | null)[] = [];
  (s.client as unknown as { send: (c: { input: unknown }) => Promise<unknown> }).send = async (c) => {
    sent.push(c.input);
    const status = answers.shift();
    if (status)
      throw Object.assign(new Error(`status ${status}`), {
        name: status === 412 ? 'PreconditionFailed' : 'ConditionalRequestConflict',
        $metadata: { httpStatusCode: status },
      });
    return {};
  };
  try {
    answers.push(412);
    assert.equal(await s.putIfAbsent('k.json', '{}'), false);
    assert.equal((sent[0] as { IfNoneMatch?: string }).IfNoneMatch, '*');
    answers.push(409, null);
    assert.equal(await s.putIfAbsent('k.json', '{}'), true);
    answers.push(409, 412);
    assert.equal(await s.putIfAbsent('k.json', '{}'), false);
    answers.push(403);
    await assert.rejects(s.putIfAbsent('k.json', '{}'), /putIfAbsent "k\.json" failed/);
  } finally {
    await s.close();
  }
});

test('two enqueues planning one round at once: the same plan joins the saved one, a different one is refused naming the field', async () => {
  const s = fresh();
  const first = JSON.parse(JSON.stringify(await roundPlanFor(s, 'c', 0, config({ batchSize: 4 }))));
  const joined = await roundPlanFor(missesOnce(s, layout.roundPlan('c', 0)), 'c', 0, config({ batchSize: 4 }));
  assert.deepEqual(joined, first, 'the loser with the same plan runs the saved plan');
  await assert.rejects(
    roundPlanFor(missesOnce(s, layout.roundPlan('c', 0)), 'c', 0, config({ batchSize: 8 })),
    (e: unknown) =>
      e instanceof PlanConflictError &&
      /^round 0 of collection c: /.test(e.message) &&
      /batchSize: 4 saved, 8 in this enqueue/.test(e.message) &&
      !/specialists/.test(e.message),
  );
  assert.deepEqual(await readRoundPlan(s, 'c', 0), first, 'the saved plan is untouched');
});

test('a listing planned with another shard size is refused before any image shard is written, while it runs and after it finished', async () => {
  const s = fresh();
  const source = () => detectSource(world.manifest);
  // another enqueue has planned the listing and not written a shard yet
  await claimListing(s, {
    collection: 'c',
    source: source().description,
    shardSize: 5,
    idFrom: 'uri',
    readSize: true,
    checkImages: false,
    created_at: new Date().toISOString(),
  });
  await assert.rejects(
    writeImageShards(s, source(), { collection: 'c', round: 0, shardSize: 4, readSize: true }),
    (e: unknown) =>
      e instanceof PlanConflictError &&
      /^round 0 of collection c: /.test(e.message) &&
      /shardSize: 5 saved, 4 in this enqueue/.test(e.message),
  );
  assert.deepEqual(await listImageShards(s, 'c'), [], 'the loser wrote no image shard');
  await assert.rejects(
    writeImageShards(s, source(), { collection: 'c', shardSize: 5, readSize: false }),
    /readSize: true saved, false in this enqueue/,
  );

  // the same settings join: the shards of the saved plan
  const a = await writeImageShards(s, source(), { collection: 'c', shardSize: 5, readSize: true });
  assert.deepEqual(a.shards, [0, 1, 2]);
  // finished: a later enqueue with the same settings reuses it, another shard size is still refused
  const b = await writeImageShards(s, source(), { collection: 'c', shardSize: 5, readSize: true });
  assert.equal(b.listed, false);
  await assert.rejects(
    writeImageShards(s, source(), { collection: 'c', round: 1, shardSize: 7, readSize: true }),
    /round 1 of collection c: .*shardSize: 5 saved, 7 in this enqueue/,
  );
  assert.deepEqual(await listImageShards(s, 'c'), [0, 1, 2]);
});

test('a collection listed before listing plans existed is compared with its collection plan', async () => {
  const s = fresh();
  await writeImageShards(s, detectSource(world.manifest), { collection: 'old', shardSize: 6, readSize: true });
  await s.delete(listingKey('old'));
  assert.equal(
    (await writeImageShards(s, detectSource(world.manifest), { collection: 'old', shardSize: 6 })).listed,
    false,
  );
  await assert.rejects(
    writeImageShards(s, detectSource(world.manifest), { collection: 'old', shardSize: 4 }),
    /collection old: .*shardSize: 6 saved, 4 in this enqueue/,
  );
});

test('an interrupted listing goes on: the image shards it wrote stay as they are, the missing ones are written, the collection plan last', async () => {
  const s = fresh();
  const opts = { collection: 'cut', shardSize: 5 };
  const whole = await writeImageShards(s, detectSource(world.manifest), opts);
  assert.deepEqual(whole.shards, [0, 1, 2]);
  const original = await s.get(layout.images('cut', 2));
  // as a crash leaves it: listing plan claimed, shards 0 and 1 written (1 marked so a rewrite shows), no shard 2, no collection plan
  await s.delete(layout.collectionPlan('cut'));
  await s.delete(layout.images('cut', 2));
  const marked = await s.get(layout.images('cut', 0));
  await s.put(layout.images('cut', 1), marked);
  const again = await writeImageShards(s, detectSource(world.manifest), opts);
  assert.equal(again.listed, true, 'the listing ran again: its collection plan was missing');
  assert.deepEqual(again.shards, [0, 1, 2]);
  assert.equal(again.images, whole.images);
  assert.deepEqual(await s.get(layout.images('cut', 1)), marked, 'a shard already written is not rewritten');
  assert.deepEqual(
    await s.get(layout.images('cut', 2)),
    original,
    'the missing shard is written as the first listing wrote it',
  );
  assert.ok(await s.exists(layout.collectionPlan('cut')));
});

test('a storage without a conditional create is refused by name, not raced', async () => {
  const s = fresh();
  const plain = new Proxy(s, {
    get: (t, p, r) => (p === 'putIfAbsent' ? undefined : (Reflect.get(t, p, r) as unknown)),
  }) as Storage;
  await assert.rejects(roundPlanFor(plain, 'c', 0, config()), /putIfAbsent .*no conditional create/);
});

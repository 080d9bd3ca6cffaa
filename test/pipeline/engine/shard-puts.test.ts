// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { layout } from '../../../pipeline/layout.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { JsonlManifestSource } from '../../../pipeline/sources/manifest-jsonl.ts';
import { LocalStorage } from '../../../pipeline/storage/local.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';

/**
 * Shard planning keeps several image shard puts in flight (a real local folder underneath; the puts
 * are only watched, and held back where a test needs an order): a shard is handed on after its own
 * put has ended and in shard order, and a failed put ends the listing with nothing left running.
 */
let dir: string;
let manifest: string;
const IMAGES = 50;
const SIZE = 5;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-shard-puts-'));
  manifest = join(dir, 'm.jsonl');
  const lines = Array.from({ length: IMAGES }, (_, i) =>
    JSON.stringify({ uri: `img/${i}.jpg`, alt_text: `image ${i}` }),
  );
  await writeFile(manifest, lines.join('\n') + '\n');
});
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
type Event = { what: 'start' | 'end' | 'handed'; shard: number };

/** LocalStorage whose image shard puts are logged; `hold(shard)` may delay one's start. */
function watched(hold: (shard: number, events: Event[]) => Promise<void> = async () => {}) {
  const base = new LocalStorage(join(dir, `s${n++}`));
  const events: Event[] = [];
  const storage = new Proxy(base, {
    get(target, prop, recv) {
      if (prop === 'put')
        return async (key: string, body: Uint8Array, o?: { contentType?: string }) => {
          const m = /images\/(?:shard-)?0*(\d+)\.parquet$/.exec(key);
          if (!m) return target.put(key, body, o);
          const shard = Number(m[1]);
          events.push({ what: 'start', shard });
          await hold(shard, events);
          await target.put(key, body, o);
          events.push({ what: 'end', shard });
        };
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Storage;
  return { storage, events, base };
}

const source = () => new JsonlManifestSource(manifest, { checkFiles: false });
const starts = (events: Event[]) => events.filter((e) => e.what === 'start').length;

test('puts overlap, yet each shard is handed on after its own put ended and in shard order', async () => {
  // shard 0's put waits until three later puts have started: one put at a time could never get there
  let overlapped = false;
  const { storage, events } = watched(async (shard, ev) => {
    if (shard !== 0) return;
    for (let i = 0; i < 500 && starts(ev) < 4; i++) await new Promise((r) => setTimeout(r, 2));
    overlapped = starts(ev) >= 4;
  });
  const sum = await writeImageShards(storage, source(), { collection: 'c', shardSize: SIZE }, async (s) => {
    events.push({ what: 'handed', shard: s });
  });
  assert.ok(overlapped, 'later puts started while shard 0 was held');
  const shards = Array.from({ length: IMAGES / SIZE }, (_, i) => i);
  assert.deepEqual(sum.shards, shards);
  assert.deepEqual(
    events.filter((e) => e.what === 'handed').map((e) => e.shard),
    shards,
    'handed on in shard order',
  );
  for (const s of shards) {
    const end = events.findIndex((e) => e.what === 'end' && e.shard === s);
    const handed = events.findIndex((e) => e.what === 'handed' && e.shard === s);
    assert.ok(end >= 0 && end < handed, `shard ${s} handed on after its put ended`);
  }
  const { rows } = await readShard(storage, layout.images('c', 7), 'image');
  assert.deepEqual(
    rows.map((r) => r.alt_text),
    [35, 36, 37, 38, 39].map((i) => `image ${i}`),
  );
});

test('a failed put ends the listing with its error: later shards are not handed on, no put is left running, no collection plan', async () => {
  // shard 2 fails once shard 3's put has started; shard 3's is still running then
  const { storage, events, base } = watched(async (shard, ev) => {
    if (shard === 2) {
      for (let i = 0; i < 500 && !ev.some((e) => e.what === 'start' && e.shard === 3); i++)
        await new Promise((r) => setTimeout(r, 2));
      throw new Error('disk full on shard 2');
    }
    if (shard === 3) await new Promise((r) => setTimeout(r, 100));
  });
  const handed: number[] = [];
  await assert.rejects(
    writeImageShards(storage, source(), { collection: 'c', shardSize: SIZE }, async (s) => {
      handed.push(s);
    }),
    /disk full on shard 2/,
  );
  assert.deepEqual(handed, [0, 1]);
  const byShard = (what: Event['what']) =>
    events
      .filter((e) => e.what === what)
      .map((e) => e.shard)
      .sort((a, b) => a - b);
  const started = byShard('start');
  const ended = byShard('end');
  assert.ok(
    started.some((s) => s > 2),
    'puts after the failing one were in flight',
  );
  assert.deepEqual(
    started.filter((s) => s !== 2),
    ended,
    'every other put that started had ended when the error came out',
  );
  assert.equal(await base.exists(layout.collectionPlan('c')), false);
});

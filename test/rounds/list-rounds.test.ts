// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRounds } from '../../pipeline/rounds/round-reader.ts';
import { LocalStorage } from '../../pipeline/storage/local.ts';
import type { Storage } from '../../pipeline/storage/storage.ts';
import { MemoryStorage } from '../helpers/memory-storage.ts';

/** The same keys in every storage; what the rounds page must make of them. */
async function putRounds(s: Storage): Promise<void> {
  for (const k of [
    'zeta/round-0/_manifest.json',
    'alpha/round-10/text/shard-00000.parquet',
    'alpha/round-2/_done/merge/shard-00000.json',
    'alpha/round-02b/x.json',
    'alpha/round-3',
    'alpha/images/shard-00000.parquet',
    'alpha/rounds/round-4/x.json',
    'no-rounds/images/_collection.json',
    'top-level.json',
  ])
    await s.put(k, '{}');
}

const WANT = [
  { collection: 'alpha', round: 2 },
  { collection: 'alpha', round: 10 },
  { collection: 'zeta', round: 0 },
];

test('listRounds (round-reader): round-<R> folders under each collection, by collection then round number (in memory)', async () => {
  const s = new MemoryStorage();
  await putRounds(s);
  assert.deepEqual(await listRounds(s), WANT);
  assert.deepEqual(await listRounds(new MemoryStorage()), []);
});

test('listRounds (round-reader): the same on a local folder, where an empty round folder holds no round', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fld-dashboard-rounds-'));
  try {
    const s = new LocalStorage(join(dir, 'root'));
    assert.deepEqual(await listRounds(s), [], 'a root that is not there yet has no rounds');
    await putRounds(s);
    mkdirSync(join(dir, 'root', 'zeta', 'round-5'));
    assert.deepEqual(await listRounds(s), WANT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

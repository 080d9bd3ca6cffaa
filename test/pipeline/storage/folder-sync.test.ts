// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncDir } from '../../../pipeline/storage/durable-file.ts';
import { folderSyncs } from '../../../pipeline/storage/folder-sync.ts';

/**
 * Folder fsyncs in groups: the real syncDir runs underneath, wrapped only to log when each sync starts
 * and ends, so the tests can check that every caller was served by a sync that began after it asked.
 */
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-folder-sync-'));
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
});
after(() => rm(dir, { recursive: true, force: true }));

function logged() {
  let clock = 0;
  const syncs: { dir: string; start: number; end: number }[] = [];
  const sync = folderSyncs(async (d) => {
    const s = { dir: d, start: ++clock, end: 0 };
    syncs.push(s);
    await syncDir(d);
    s.end = ++clock;
  });
  /** Asks for a sync; resolves with when it asked and when it was answered. */
  const ask = async (d: string) => {
    const asked = ++clock;
    await sync(d);
    return { asked, answered: ++clock };
  };
  return { syncs, ask };
}

/** True when some sync of `d` started after `asked` and ended before `answered`. */
const covered = (syncs: ReturnType<typeof logged>['syncs'], d: string, c: { asked: number; answered: number }) =>
  syncs.some((s) => s.dir === d && s.start > c.asked && s.end > 0 && s.end < c.answered);

test('one caller at a time: one folder sync each, started after it asked', async () => {
  const { syncs, ask } = logged();
  const a = join(dir, 'a');
  const calls = [];
  for (let i = 0; i < 4; i++) calls.push(await ask(a));
  assert.equal(syncs.length, 4);
  for (const c of calls) assert.ok(covered(syncs, a, c), `call at ${c.asked} served by a sync that began after it`);
});

test('callers at once share syncs: those who ask while one runs are served together by the next', async () => {
  const { syncs, ask } = logged();
  const a = join(dir, 'a');
  const first = ask(a); // starts a sync at once
  const rest = Array.from({ length: 9 }, () => ask(a)); // all asked while it runs
  const calls = await Promise.all([first, ...rest]);
  assert.equal(syncs.length, 2, 'the first sync, then one for the nine who asked while it ran');
  for (const c of calls) assert.ok(covered(syncs, a, c), `call at ${c.asked} served by a sync that began after it`);
  // a caller after the group has ended starts a sync of its own
  const late = await ask(a);
  assert.equal(syncs.length, 3);
  assert.ok(covered(syncs, a, late));
});

test('a caller who asks during the second sync of a group is not served by it but by a third', async () => {
  const { syncs, ask } = logged();
  const a = join(dir, 'a');
  const first = ask(a);
  const second = ask(a);
  // asks once the first sync has ended and the second has begun
  const third = first.then(() => ask(a));
  const calls = await Promise.all([first, second, third]);
  for (const c of calls) assert.ok(covered(syncs, a, c), `call at ${c.asked} served by a sync that began after it`);
  assert.equal(syncs.length, 3);
});

test('folders do not share syncs, and a failing sync still answers its callers', async () => {
  const { syncs, ask } = logged();
  const calls = await Promise.all([ask(join(dir, 'a')), ask(join(dir, 'b')), ask(join(dir, 'a')), ask(join(dir, 'b'))]);
  assert.equal(syncs.filter((s) => s.dir === join(dir, 'a')).length, 2);
  assert.equal(syncs.filter((s) => s.dir === join(dir, 'b')).length, 2);
  assert.ok(covered(syncs, join(dir, 'a'), calls[2]));
  assert.ok(covered(syncs, join(dir, 'b'), calls[3]));

  let n = 0;
  const failing = folderSyncs(async () => {
    n++;
    throw new Error('EIO');
  });
  await Promise.all([failing('x'), failing('x'), failing('x')]);
  await failing('x');
  assert.equal(n, 3);
});

// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { fld as fldAsync, makeEnv } from '../pipeline/engine/harness.ts';
import { tempDir, writeImage } from '../pipeline/sources/fixtures.ts';

/**
 * Saying what happened, through the real CLI on real files and the committed demo
 * detector: a folder with two photos, a zero-byte .png, a text file named .png and a PNG cut short
 * (its header reads, its pixels do not). `fld run` names the skipped and the failed files with their
 * reasons and counts, and prints a progress line per shard with images/s; `fld enqueue` names the
 * skipped ones; `fld source-check` counts the unreadable files; a failed `fld run` leaves no
 * collection behind for `fld stats` to find.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FLD = join(REPO, 'bin', 'fld.js');
let t: ReturnType<typeof tempDir>;
let folder: string;

function fld(args: string[]) {
  const r = spawnSync(process.execPath, [FLD, ...args], {
    cwd: t.dir,
    encoding: 'utf8',
    env: { ...process.env, FLD_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function config(name: string, body: Record<string, unknown> = {}): string {
  const file = join(t.dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      storage: join(t.dir, name),
      specialists: { detector: join(REPO, 'models', 'demo-detector') },
      ...body,
    }),
  );
  return file;
}

before(async () => {
  t = tempDir();
  folder = join(t.dir, 'photos');
  await writeImage(join(folder, 'a.jpg'), 64, 48);
  await writeImage(join(folder, 'b.png'), 40, 30);
  writeFileSync(join(folder, 'empty.png'), '');
  writeFileSync(join(folder, 'notes.png'), 'these are my notes, not an image\n');
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 9, g: 99, b: 199 } } })
    .png()
    .toBuffer();
  writeFileSync(join(folder, 'cut.png'), png.subarray(0, Math.floor(png.length * 0.6)));
});
after(() => t.done());

test('fld run names the skipped and the failed files with their reasons and counts, and prints a progress line per shard', () => {
  const r = fld(['run', folder, '--collection', 'mine', '--config', config('run', { shardSize: 2 })]);
  assert.equal(r.code, 0, r.err);
  const err = r.err.split('\n');
  assert.ok(err.includes("skipped 2 of the source's entries (unreadable_image 2):"), r.err);
  assert.ok(
    err.some((l) =>
      /^ {2}unreadable_image: folder .*photos, empty\.png: cannot read .*empty\.png: empty file \(0 bytes\)$/.test(l),
    ),
    r.err,
  );
  assert.ok(
    err.some((l) =>
      /^ {2}unreadable_image: folder .*photos, notes\.png: cannot read .*notes\.png: .*unsupported image format/.test(
        l,
      ),
    ),
    r.err,
  );
  assert.ok(err.includes('failed: 1 image error, a stage could not process the image (annotate:detector 1):'), r.err);
  assert.ok(
    err.some((l) => /^ {2}annotate:detector\S*: .*photos\/cut\.png: image [0-9a-f]{16}: decode failed/.test(l)),
    r.err,
  );
  const progress = err.filter((l) => l.startsWith('round 0: shard '));
  assert.equal(progress.length, 2, r.err);
  assert.match(progress[0], /^round 0: shard 0 done, 2\/3 images, shards 1\/2 done, [\d.]+ img\/s, ETA \d+ s$/);
  assert.match(progress[1], /^round 0: shard 1 done, 3\/3 images, shards 2\/2 done, [\d.]+ img\/s/);
  assert.match(r.out, /^mine round 0: 2 shards, 3 images, 2 skipped, 1 errors -> mine\/round-0\/_manifest\.json$/m);
  // a second run finds everything done and still names what was skipped
  const again = fld(['run', folder, '--collection', 'mine', '--config', config('run', { shardSize: 2 })]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /^mine: 3 images in 2 shards \(listed before\)\nskipped 2 of the source's entries/m);
  assert.match(again.err, /^round 0: shard 1 done before, 3\/3 images, shards 2\/2 done$/m);
});

test('fld source-check counts a zero-byte file and a text file named .png as unreadable, with the reason', () => {
  const r = fld(['source-check', folder, '--json']);
  assert.equal(r.code, 1, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.images, 3, 'the PNG cut short has a readable header');
  assert.deepEqual(s.byReason, { unreadable_image: 2 });
  assert.deepEqual(
    s.examples.map((p: { where: string }) => p.where),
    ['empty.png', 'notes.png'],
  );
  const text = fld(['source-check', folder]);
  assert.match(text.out, /^problems: 2\n {2}unreadable_image: 2$/m);
  assert.match(text.out, /empty\.png: empty file \(0 bytes\)/);
  const unchecked = fld(['source-check', folder, '--no-check-files', '--json']);
  assert.equal(JSON.parse(unchecked.out).problems, 0, '--no-check-files lists by name only');
});

test('a failed fld run leaves no collection behind: a folder that is not there, a manifest that fails while listing', () => {
  const cfg = config('failed');
  const missing = fld(['run', join(t.dir, 'not-there'), '--collection', 'ghost', '--config', cfg]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /not-there: no such file or folder/);
  assert.equal(existsSync(join(t.dir, 'failed', 'ghost')), false);
  // the round plan is written before the listing starts; the failure removes it and its folders
  writeFileSync(join(t.dir, 'no-uri.csv'), 'path,caption\na.jpg,a photo\n');
  const bad = fld(['run', join(t.dir, 'no-uri.csv'), '--collection', 'ghost2', '--config', cfg]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /no "uri" column/);
  assert.deepEqual(existsSync(join(t.dir, 'failed')) ? readdirSync(join(t.dir, 'failed')) : [], []);
  const stats = fld(['stats', '--round', '0', '--root', join(t.dir, 'failed')]);
  assert.notEqual(stats.code, 0);
  assert.doesNotMatch(stats.err, /ghost/);
  // a collection that was listed before is kept when a later run fails
  const ok = fld(['run', folder, '--collection', 'kept', '--config', cfg]);
  assert.equal(ok.code, 0, ok.err);
  const later = fld([
    'run',
    folder,
    '--collection',
    'kept',
    '--round',
    '1',
    '--config',
    config('failed', { specialists: { detector: join(t.dir, 'gone') } }),
  ]);
  assert.notEqual(later.code, 0);
  assert.match(later.err, /specialists\.detector = ".*gone": no such model folder/);
  assert.ok(existsSync(join(t.dir, 'failed', 'kept', 'round-0', '_manifest.json')));
});

test('fld enqueue names the skipped files with their reasons and counts them by reason', async () => {
  const env = await makeEnv({ specialists: { ocr: 'ppocr-v4' } });
  try {
    const r = await fldAsync(['enqueue', folder, '--collection', 'queued', '--config', env.configFile, '--json'], {
      cwd: env.dir,
    }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).skipped, 2);
    assert.deepEqual(JSON.parse(r.stdout).problems.byReason, { unreadable_image: 2 });
    assert.match(
      r.stderr,
      /^skipped 2 of the source's entries \(unreadable_image 2\):\n {2}unreadable_image: .*empty\.png: .*\n {2}unreadable_image: .*notes\.png: /m,
    );
  } finally {
    await env.close();
  }
});

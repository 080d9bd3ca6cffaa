// @part unit
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PathResolver } from '../../../pipeline/sources/paths.ts';
import { tempDir, writeImage } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
let root: string;
before(async () => {
  t = tempDir();
  root = join(t.dir, 'root');
  await writeImage(join(root, 'a.jpg'));
  await writeImage(join(t.dir, 'out.jpg'));
  mkdirSync(join(root, 'dir.jpg'));
  symlinkSync(join(root, 'a.jpg'), join(root, 'in-link.jpg'));
  symlinkSync(join(root, 'nothing.jpg'), join(root, 'broken.jpg'));
  symlinkSync(t.dir, join(root, 'up'));
});
after(() => t.done());

const ok = (r: ReturnType<PathResolver['resolve']>) => (r.ok ? r.uri : `${r.reason}: ${r.detail}`);

test('references inside the root resolve to absolute paths', () => {
  const r = new PathResolver(root);
  assert.equal(ok(r.resolve('a.jpg')), join(root, 'a.jpg'));
  assert.equal(ok(r.resolve(join(root, 'a.jpg'))), join(root, 'a.jpg'), 'an absolute path inside the root is fine');
  assert.equal(ok(r.resolve(pathToFileURL(join(root, 'a.jpg')).href)), join(root, 'a.jpg'));
  assert.equal(ok(r.resolve('in-link.jpg')), join(root, 'in-link.jpg'), 'a symlink that stays inside');
});

test('escapes, broken links, folders and odd schemes are refused with a reason', () => {
  const r = new PathResolver(root);
  const reasons = [
    '../out.jpg',
    join(t.dir, 'out.jpg'),
    'up/out.jpg',
    'broken.jpg',
    'dir.jpg',
    'gs://bucket/a.jpg',
    'nothing.jpg',
  ].map((x) => {
    const v = r.resolve(x);
    return v.ok ? 'ok' : v.reason;
  });
  assert.deepEqual(reasons, [
    'outside_root',
    'outside_root',
    'outside_root',
    'missing_file',
    'missing_file',
    'malformed',
    'missing_file',
  ]);
  const up = r.resolve('up/out.jpg');
  assert.ok(!up.ok && /resolves through a symlink to .*out\.jpg, outside the source root/.test(up.detail));
});

test('allowOutside lets escapes through but still checks the file exists', () => {
  const r = new PathResolver(root, { allowOutside: true });
  assert.equal(ok(r.resolve('../out.jpg')), join(t.dir, 'out.jpg'));
  assert.equal(ok(r.resolve('up/out.jpg')), join(root, 'up', 'out.jpg'));
  assert.match(ok(r.resolve('../none.jpg')), /^missing_file/);
});

test('remote URIs pass through normalised and are not checked on disk', () => {
  const r = new PathResolver(root);
  assert.equal(ok(r.resolve('s3://bucket/k/a.jpg')), 's3://bucket/k/a.jpg');
  assert.equal(ok(r.resolve('HTTP://Host.example:80/a b.jpg')), 'http://host.example/a%20b.jpg');
  assert.match(ok(r.resolve('https://[bad')), /^malformed/);
});

test('a relative reference resolves as path.resolve would, with or without . and .. segments', () => {
  const refs = [
    'a.jpg',
    'a/b.jpg',
    'a//b.jpg',
    'a/./b.jpg',
    './a.jpg',
    'a/../b.jpg',
    'a/',
    'a/.',
    'a/..',
    '.a/b..c.jpg',
    '..a',
    'a b/c:d.jpg',
    'a/.hidden/b.jpg',
    'a/...',
    '...',
    'a/b/.',
    'a//',
    '/a/b.jpg',
    '//a',
  ];
  for (const root of ['/data/coll', '/']) {
    const r = new PathResolver(root, { checkFiles: false, allowOutside: true });
    for (const ref of refs) assert.deepEqual(r.resolve(ref), { ok: true, uri: resolve(root, ref) }, `${root} + ${ref}`);
  }
});

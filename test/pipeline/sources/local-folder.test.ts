// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFolderSource } from '../../../pipeline/sources/local-folder.ts';
import { SourceError } from '../../../pipeline/sources/types.ts';
import { collect, tempDir, writeImage, writeText } from './fixtures.ts';

let t: ReturnType<typeof tempDir>;
before(async () => {
  t = tempDir();
  const root = join(t.dir, 'imgs');
  await writeImage(join(root, 'b.png'));
  await writeImage(join(root, 'A.JPG'));
  await writeImage(join(root, 'sub', 'deep', 'c.webp'));
  await writeImage(join(root, 'sub', 'a.tif'));
  await writeImage(join(root, 'z.gif'));
  writeText(join(root, 'notes.txt'), 'not an image');
  writeText(join(root, 'sub', 'x.json'), '{}');
  await writeImage(join(t.dir, 'outside.png'));
  symlinkSync(join(t.dir, 'outside.png'), join(root, 'escape.png'));
  symlinkSync(join(root, 'b.png'), join(root, 'inner-link.png'));
  mkdirSync(join(t.dir, 'elsewhere'));
  symlinkSync(join(t.dir, 'elsewhere'), join(root, 'linked-dir'));
});
after(() => t.done());

test('lists image files recursively by extension, any case, sorted', async () => {
  const root = join(t.dir, 'imgs');
  const { items } = await collect(new LocalFolderSource(root));
  assert.deepEqual(
    items.map((i) => i.where),
    ['A.JPG', 'b.png', 'inner-link.png', 'sub/a.tif', 'sub/deep/c.webp', 'z.gif'],
  );
  assert.ok(items.every((i) => i.uri === join(root, i.where)));
  assert.ok(items.every((i) => i.alt_text === undefined && i.existing_boxes === undefined));
});

test('a symlink out of the folder and a symlinked folder are reported, not dropped', async () => {
  const { problems } = await collect(new LocalFolderSource(join(t.dir, 'imgs')));
  assert.deepEqual(
    problems.map((p) => [p.reason, p.where]),
    [
      ['outside_root', 'escape.png'],
      ['symlinked_folder', 'linked-dir'],
    ],
  );
  assert.match(
    problems[0]!.message,
    /^folder .*imgs, escape\.png: symlink .* points to .*outside\.png, outside the folder/,
  );
});

test('allowOutside follows a symlink out of the folder', async () => {
  const { items } = await collect(new LocalFolderSource(join(t.dir, 'imgs'), { allowOutside: true }));
  assert.ok(items.some((i) => i.where === 'escape.png'));
});

test('a missing folder is a whole-source error naming it', async () => {
  await assert.rejects(
    collect(new LocalFolderSource(join(t.dir, 'nope'))),
    (e: Error) => e instanceof SourceError && /folder .*nope: cannot list/.test(e.message),
  );
});

test('a FIFO named like an image is named as a problem, never opened', async () => {
  const root = join(t.dir, 'with-fifo');
  await writeImage(join(root, 'a.png'));
  execFileSync('mkfifo', [join(root, 'pipe.png')]);
  const { items, problems } = await collect(new LocalFolderSource(root));
  assert.deepEqual(
    items.map((i) => i.where),
    ['a.png'],
  );
  assert.deepEqual(
    problems.map((p) => [p.reason, p.where]),
    [['missing_file', 'pipe.png']],
  );
  assert.match(problems[0]!.message, /pipe\.png is a FIFO, not a regular file/);
});

// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStorage } from '../../../pipeline/storage/local.ts';
import { StorageError } from '../../../pipeline/storage/storage.ts';
import { bytesStream } from '../../helpers/bytes.ts';
import { listAll, listAllFolders, storageContract } from './contract.ts';

let dir: string;
let storage: LocalStorage;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-local-'));
  storage = new LocalStorage(join(dir, 'root'));
});
after(async () => rm(dir, { recursive: true, force: true }));

storageContract('LocalStorage', () => storage);

async function filesUnder(p: string): Promise<string[]> {
  return (await readdir(p, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
}

test('LocalStorage: url is a file URL of the absolute root; a relative root resolves', () => {
  assert.equal(storage.url, `file://${join(dir, 'root')}`);
  assert.ok(new LocalStorage('rel/x').root.startsWith('/'));
});

test('LocalStorage: no temp file is left on disk after good and failed puts', async () => {
  await storage.put('tmpcheck/a.bin', bytesStream(2 << 20, 1));
  await assert.rejects(storage.put('tmpcheck/b.bin', bytesStream(2 << 20, 2, { failAfter: 1 << 20 })));
  assert.deepEqual(await filesUnder(join(dir, 'root', 'tmpcheck')), ['a.bin']);
});

test('LocalStorage: a temp file of a put in flight is never listed', async () => {
  // What a crashed writer leaves behind: listing must not report it as an object.
  await storage.put('inflight/done.bin', 'x');
  await writeFile(join(dir, 'root', 'inflight', '.part.bin.fld-tmp-1-abc'), 'half');
  assert.deepEqual(await listAll(storage, 'inflight/'), ['inflight/done.bin']);
});

test('LocalStorage: listFolders skips a folder that list would show nothing under (empty, or a temp file only)', async () => {
  await storage.put('lf/kept/deep/down/x.bin', 'x');
  await mkdir(join(dir, 'root', 'lf', 'empty', 'also-empty'), { recursive: true });
  await mkdir(join(dir, 'root', 'lf', 'crashed'), { recursive: true });
  await writeFile(join(dir, 'root', 'lf', 'crashed', '.x.bin.fld-tmp-1-abc'), 'half');
  assert.deepEqual(await listAll(storage, 'lf/'), ['lf/kept/deep/down/x.bin']);
  assert.deepEqual(await listAllFolders(storage, 'lf/'), ['lf/kept/']);
});

test('LocalStorage: listing follows S3 byte order across folder boundaries', async () => {
  const keys = ['order/a/x', 'order/a-b', 'order/a.b', 'order/a0', 'order/a', 'order/B', 'order/é', 'order/z'];
  for (const k of keys.filter((k) => k !== 'order/a')) await storage.put(k, k);
  // 'order/a' as a file would clash with the folder 'order/a/', so it lives one level down.
  const want = [...keys.filter((k) => k !== 'order/a')].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(want, ['order/B', 'order/a-b', 'order/a.b', 'order/a/x', 'order/a0', 'order/z', 'order/é']);
  assert.deepEqual(await listAll(storage, 'order/'), want);
});

test('LocalStorage: putting over a folder fails with a StorageError naming the key', async () => {
  await storage.put('clash/dir/file', 'x');
  await assert.rejects(
    storage.put('clash/dir', 'y'),
    (e: unknown) => e instanceof StorageError && /clash\/dir/.test(e.message),
  );
  assert.deepEqual(await listAll(storage, 'clash/'), ['clash/dir/file']);
});

test('LocalStorage: a read-only file system is reported as such (EROFS), not as a missing folder', {
  skip: process.getuid?.() !== 0 ? 'needs root to bind-mount a folder read-only' : false,
}, async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdir } = await import('node:fs/promises');
  const src = join(dir, 'ro-src');
  const ro = join(dir, 'ro');
  await mkdir(src);
  await mkdir(ro);
  execFileSync('mount', ['--bind', src, ro]);
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
    const s = new LocalStorage(join(ro, 'data'));
    await assert.rejects(
      s.put('c/round-0/_plan.json', '{}'),
      (e: Error) => e instanceof StorageError && /EROFS/.test(e.message) && !/ENOENT/.test(e.message),
    );
    await assert.rejects(
      s.putIfAbsent!('c/round-0/_plan.json', '{}'),
      (e: Error) => e instanceof StorageError && /EROFS/.test(e.message),
    );
  } finally {
    execFileSync('umount', [ro]);
  }
});

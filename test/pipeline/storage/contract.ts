/**
 * The behaviour every Storage must show, run against LocalStorage (local.test.ts) and S3Storage
 * on s3rver (s3.test.ts). `make` gives a fresh, empty storage for the whole suite.
 */
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import assert from 'node:assert/strict';
import { NotFoundError, StorageError, type Storage } from '../../../pipeline/storage/storage.ts';
import { InvalidKeyError } from '../../../pipeline/storage/keys.ts';
import { bytes, bytesStream, sha256, sha256Of } from '../../helpers/bytes.ts';

const list = async (s: Storage, prefix: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const k of s.list(prefix)) out.push(k);
  return out;
};
export { list as listAll };

const folders = async (s: Storage, prefix: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const f of s.listFolders(prefix)) out.push(f);
  return out;
};
export { folders as listAllFolders };

export function storageContract(
  name: string,
  s: () => Storage,
  o: {
    byteOrderAcrossFolders?: boolean;
    atomicConcurrentPuts?: boolean;
    bigPut?: { before(): void; after(): void };
  } = {},
): void {
  test(`${name}: bytes, strings and empty objects read back byte for byte; a put replaces`, async () => {
    const b = bytes(10_000, 7);
    await s().put('c/bytes.bin', b);
    assert.equal(sha256(await s().get('c/bytes.bin')), sha256(b));
    await s().put('c/text.json', '{"é":"ünïcode ✓"}', { contentType: 'application/json' });
    assert.equal(Buffer.from(await s().get('c/text.json')).toString('utf8'), '{"é":"ünïcode ✓"}');
    await s().put('c/empty', new Uint8Array(0));
    assert.equal((await s().get('c/empty')).length, 0);
    assert.deepEqual(await s().head('c/empty'), { size: 0 });
    await s().put('c/bytes.bin', 'short');
    assert.equal(Buffer.from(await s().get('c/bytes.bin')).toString(), 'short');
    assert.deepEqual(await s().head('c/bytes.bin'), { size: 5 });
  });

  test(`${name}: a streamed 3 MB put reads back byte for byte (get and getStream)`, async () => {
    const n = 3 * 1024 * 1024 + 17;
    await s().put('stream/three.bin', bytesStream(n, 3, { chunk: 64 * 1024 }));
    const want = sha256(bytes(n, 3));
    assert.deepEqual(await s().head('stream/three.bin'), { size: n });
    assert.equal(sha256(await s().get('stream/three.bin')), want);
    assert.deepEqual(await sha256Of(await s().getStream('stream/three.bin')), { hash: want, size: n });
  });

  test(`${name}: getRange returns exactly [start, end) and refuses ranges past the end`, async () => {
    const b = bytes(100_000, 11);
    await s().put('range/r.bin', b);
    for (const [a, z] of [
      [0, 10],
      [4096, 70_001],
      [100_000 - 8, 100_000],
      [0, 100_000],
      [500, 500],
    ] as const) {
      assert.deepEqual(Buffer.from(await s().getRange('range/r.bin', a, z)), b.subarray(a, z), `[${a}, ${z})`);
    }
    await assert.rejects(
      s().getRange('range/r.bin', 99_990, 100_001),
      (e: unknown) => e instanceof StorageError && /range\/r\.bin/.test(e.message) && /100001/.test(e.message),
    );
    await assert.rejects(s().getRange('range/r.bin', 200_000, 200_010), StorageError);
    await assert.rejects(
      s().getRange('range/r.bin', 10, 5),
      (e: unknown) => e instanceof StorageError && /bad range/.test(e.message),
    );
    await assert.rejects(s().getRange('range/missing.bin', 0, 4), NotFoundError);
  });

  test(`${name}: missing keys: head null, exists false, get/getStream NotFoundError naming the key, delete a no-op`, async () => {
    assert.equal(await s().head('nothing/here.bin'), null);
    assert.equal(await s().exists('nothing/here.bin'), false);
    await assert.rejects(
      s().get('nothing/here.bin'),
      (e: unknown) =>
        e instanceof NotFoundError && e.key === 'nothing/here.bin' && /nothing\/here\.bin/.test(e.message),
    );
    await assert.rejects(s().getStream('nothing/here.bin'), NotFoundError);
    await s().delete('nothing/here.bin');
    await s().put('del/x', 'x');
    assert.equal(await s().exists('del/x'), true);
    await s().delete('del/x');
    assert.equal(await s().exists('del/x'), false);
    // A folder-like prefix is not an object.
    await s().put('del/sub/y', 'y');
    assert.equal(await s().exists('del/sub'), false);
    await assert.rejects(s().get('del/sub'), NotFoundError);
    await assert.rejects(s().getStream('del/sub'), NotFoundError);
    await assert.rejects(s().getRange('del/sub', 0, 1), NotFoundError);
    await s().delete('del/sub');
    assert.equal(await s().exists('del/sub/y'), true);
  });

  test(`${name}: list is recursive, sorted, exact, and honours folder and partial prefixes`, async () => {
    const keys = ['ls/b/2.json', 'ls/a.txt', 'ls/b/1.json', 'ls/b/deep/x/y.bin', 'ls/c', 'lsx/other', 'ls-sibling/z'];
    for (const k of keys) await s().put(k, k);
    assert.deepEqual(await list(s(), 'ls/'), ['ls/a.txt', 'ls/b/1.json', 'ls/b/2.json', 'ls/b/deep/x/y.bin', 'ls/c']);
    assert.deepEqual(await list(s(), 'ls/b/'), ['ls/b/1.json', 'ls/b/2.json', 'ls/b/deep/x/y.bin']);
    assert.deepEqual(await list(s(), 'ls/b/d'), ['ls/b/deep/x/y.bin']);
    assert.deepEqual(await list(s(), 'lsx'), ['lsx/other']);
    assert.deepEqual(await list(s(), 'nope/'), []);
    const all = await list(s(), '');
    for (const k of keys) assert.ok(all.includes(k), k);
    assert.equal(new Set(all).size, all.length);
    if (o.byteOrderAcrossFolders !== false)
      assert.deepEqual(
        all,
        [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
  });

  test(`${name}: listFolders names each folder right under a prefix once, never the objects beside or below it`, async () => {
    const keys = [
      'fo/a/1.json',
      'fo/a/2.json',
      'fo/a/deep/3.json',
      'fo/b/x/4.bin',
      'fo/top.json',
      'fo/round-0/text/shard-00000.parquet',
      'fo/round-12/_manifest.json',
      'fo/roundabout/5',
      'fo/round-3',
      'fox/6',
    ];
    for (const k of keys) await s().put(k, k);
    assert.deepEqual(await folders(s(), 'fo/'), ['fo/a/', 'fo/b/', 'fo/round-0/', 'fo/round-12/', 'fo/roundabout/']);
    // A partial last segment: 'fo/round-3' is an object, and 'fo/roundabout/' does not match.
    assert.deepEqual(await folders(s(), 'fo/round-'), ['fo/round-0/', 'fo/round-12/']);
    assert.deepEqual(await folders(s(), 'fo/a/'), ['fo/a/deep/']);
    assert.deepEqual(await folders(s(), 'fo/b/x/'), [], 'a folder of objects only has no folders');
    assert.deepEqual(await folders(s(), 'nope/'), []);
    const top = await folders(s(), '');
    assert.ok(top.includes('fo/') && top.includes('fox/'), top.join(', '));
    assert.ok(
      top.every((f) => /^[^/]+\/$/.test(f)),
      top.join(', '),
    );
    // A folder whose objects are all deleted is gone, as S3 has no folders of its own.
    await s().delete('fo/b/x/4.bin');
    assert.deepEqual(await folders(s(), 'fo/'), ['fo/a/', 'fo/round-0/', 'fo/round-12/', 'fo/roundabout/']);
    await assert.rejects(async () => {
      for await (const _ of s().listFolders('../')) {
        /* empty */
      }
    }, InvalidKeyError);
  });

  test(`${name}: a put whose stream fails leaves no object and no temp file, and keeps an old object whole`, async () => {
    await assert.rejects(
      s().put('atomic/new.bin', bytesStream(3 << 20, 5, { chunk: 256 * 1024, failAfter: 1 << 20 })),
      /failed on purpose/,
    );
    assert.equal(await s().exists('atomic/new.bin'), false);
    assert.deepEqual(await list(s(), 'atomic/'), []);
    // Bigger than one S3 part, so S3 has started a multipart upload when the stream fails.
    await s().put('atomic/old.bin', 'the old bytes');
    await assert.rejects(
      s().put('atomic/old.bin', bytesStream(20 << 20, 6, { failAfter: 12 << 20 })),
      /failed on purpose/,
    );
    assert.equal(Buffer.from(await s().get('atomic/old.bin')).toString(), 'the old bytes');
    assert.deepEqual(await list(s(), 'atomic/'), ['atomic/old.bin']);
  });

  test(`${name}: while a put is in flight readers see the old object whole, then the new one`, async () => {
    await s().put('vis/obj.bin', 'old');
    const body = new PassThrough();
    const done = s().put('vis/obj.bin', body);
    body.write(bytes(1 << 20, 21));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(Buffer.from(await s().get('vis/obj.bin')).toString(), 'old');
    assert.deepEqual(await s().head('vis/obj.bin'), { size: 3 });
    body.end(bytes(1 << 20, 22));
    await done;
    assert.equal(sha256(await s().get('vis/obj.bin')), sha256(Buffer.concat([bytes(1 << 20, 21), bytes(1 << 20, 22)])));
  });

  test(`${name}: concurrent puts of one key leave exactly one of the versions, whole`, {
    skip: o.atomicConcurrentPuts === false && 'the server writes objects in place',
  }, async () => {
    const versions = Array.from({ length: 6 }, (_, i) => bytes(256 * 1024 + i, 30 + i));
    await Promise.all(
      versions.map((v, i) => s().put('race/obj.bin', i % 2 ? v : bytesStream(v.length, 30 + i, { chunk: 16 * 1024 }))),
    );
    const got = sha256(await s().get('race/obj.bin'));
    assert.ok(
      versions.some((v) => sha256(v) === got),
      'the object is none of the versions put',
    );
    assert.deepEqual(await list(s(), 'race/'), ['race/obj.bin']);
  });

  test(`${name}: keys that are absolute, empty or climb out are refused, naming the key`, async () => {
    for (const bad of [
      '../escape.bin',
      'a/../../b',
      '/etc/passwd',
      '',
      'a//b',
      'a/./b',
      'a\\b',
      'a/',
      'x/.y.fld-tmp-1',
    ]) {
      await assert.rejects(
        s().put(bad, 'x'),
        (e: unknown) =>
          e instanceof InvalidKeyError && e.key === bad && e.message.includes(bad === '' ? 'is empty' : `"${bad}"`),
        bad,
      );
      await assert.rejects(s().get(bad), InvalidKeyError, bad);
    }
    await assert.rejects(async () => {
      for await (const _ of s().list('../')) {
        /* empty */
      }
    }, InvalidKeyError);
  });

  test(`${name}: a 100 MB object streams in and out byte for byte`, async () => {
    const n = 100 * 1024 * 1024;
    o.bigPut?.before();
    await s().put('big/hundred.bin', bytesStream(n, 100));
    o.bigPut?.after();
    assert.deepEqual(await s().head('big/hundred.bin'), { size: n });
    const want = await sha256Of(bytesStream(n, 100));
    assert.deepEqual(await sha256Of(await s().getStream('big/hundred.bin')), want);
    await s().delete('big/hundred.bin');
  });
}

// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { inspect } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../../pipeline/storage/s3.ts';
import { StorageError } from '../../../pipeline/storage/storage.ts';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver.ts';
import { bytes, bytesStream, sha256 } from '../../helpers/bytes.ts';
import { listAll, listAllFolders, storageContract } from './contract.ts';

let s3: S3rverHandle;
let commands: Map<string, number>;
before(async () => {
  s3 = await startS3rver({ prefix: 'suite/run-1' });
  commands = countCommands(s3.storage.client);
});
after(async () => {
  await s3.close();
});

storageContract('S3Storage on s3rver', () => s3.storage, {
  // s3rver lists in file-system walk order across folder boundaries (real S3: byte order).
  byteOrderAcrossFolders: false,
  // s3rver writes a PUT straight into the object's file, so concurrent PUTs of one key interleave
  // (measured: 6 concurrent 256 KiB PUTs left bytes matching none of them). S3 is last-writer-wins.
  atomicConcurrentPuts: false,
  // The 100 MB put must be one multipart upload of 8 MiB parts.
  bigPut: {
    before: () => commands.clear(),
    after: () => {
      assert.equal(commands.get('CreateMultipartUploadCommand'), 1);
      assert.equal(commands.get('UploadPartCommand'), 13);
      assert.equal(commands.get('CompleteMultipartUploadCommand'), 1);
    },
  },
});

/** Counts the SDK commands a client sends, to see multipart and pagination happen underneath. */
function countCommands(client: S3Client): Map<string, number> {
  const seen = new Map<string, number>();
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      const name = ctx.commandName ?? '?';
      seen.set(name, (seen.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return seen;
}

test('S3Storage: keys live under the prefix; url names bucket and prefix', async () => {
  assert.equal(s3.storage.url, `s3://${s3.bucket}/suite/run-1/`);
  const whole = new S3Storage({ ...s3.options, prefix: '' });
  try {
    await s3.storage.put('pfx/one.txt', 'one');
    assert.deepEqual(await listAll(whole, 'suite/run-1/pfx/'), ['suite/run-1/pfx/one.txt']);
    assert.equal(Buffer.from(await whole.get('suite/run-1/pfx/one.txt')).toString(), 'one');
  } finally {
    await whole.close();
  }
});

test('S3Storage: a stream longer than a part goes up as one multipart upload', async () => {
  const st = new S3Storage({ ...s3.options, partSize: 5 * 1024 * 1024, queueSize: 2 });
  const seen = countCommands(st.client);
  try {
    const n = 12 * 1024 * 1024 + 3;
    await st.put('mp/twelve.bin', bytesStream(n, 12));
    assert.equal(seen.get('CreateMultipartUploadCommand'), 1);
    assert.equal(seen.get('UploadPartCommand'), 3);
    assert.equal(seen.get('CompleteMultipartUploadCommand'), 1);
    assert.equal(seen.get('PutObjectCommand'), undefined);
    assert.equal(sha256(await st.get('mp/twelve.bin')), sha256(bytes(n, 12)));
  } finally {
    await st.close();
  }
});

test('S3Storage: listing 1,100 keys pages underneath and returns exactly the keys put', async () => {
  const keys = Array.from({ length: 1100 }, (_, i) => `many/k-${String((i * 7919) % 1100).padStart(5, '0')}.json`);
  for (let i = 0; i < keys.length; i += 25) await Promise.all(keys.slice(i, i + 25).map((k) => s3.storage.put(k, k)));
  await s3.storage.put('many-not/outside.json', 'x');
  const seen = countCommands(s3.storage.client);
  const got = await listAll(s3.storage, 'many/');
  assert.equal(seen.get('ListObjectsV2Command'), 2);
  assert.deepEqual(got, [...keys].sort());

  const small = new S3Storage({ ...s3.options, listPageSize: 100 });
  const seenSmall = countCommands(small.client);
  try {
    assert.deepEqual(await listAll(small, 'many/'), got);
    assert.equal(seenSmall.get('ListObjectsV2Command'), 11);
  } finally {
    await small.close();
  }
});

test('S3Storage: listFolders follows pages underneath and names each folder once', async () => {
  // Each folder lies between two objects and a page holds two keys. s3rver counts only objects
  // toward a page (S3 counts folders too) and repeats a folder that falls on a page boundary; this
  // layout keeps folders off the boundaries, so the test sees our paging, not that quirk.
  const want = Array.from({ length: 20 }, (_, i) => `folders/f-${String(i).padStart(2, '0')}-b/`);
  await Promise.all(want.flatMap((f) => [s3.storage.put(`${f}k.json`, f), s3.storage.put(`${f.slice(0, -3)}-a`, 'a')]));
  await Promise.all(want.map((f) => s3.storage.put(`${f.slice(0, -3)}-c`, 'c')));
  const small = new S3Storage({ ...s3.options, listPageSize: 2 });
  const seen = countCommands(small.client);
  try {
    assert.deepEqual(await listAllFolders(small, 'folders/'), want);
    assert.ok((seen.get('ListObjectsV2Command') ?? 0) >= 20, `${seen.get('ListObjectsV2Command')} pages`);
  } finally {
    await small.close();
  }
});

test('S3Storage: with the default custom-endpoint checksums, a raw streamed PutObject is stored unframed', async () => {
  // With WHEN_SUPPORTED the SDK sends streamed bodies aws-chunked with a trailing checksum and
  // s3rver stores that framing as object bytes (468 extra bytes on 3 MiB, measured): this guards
  // the default that any code using `storage.client` directly relies on.
  const n = 3 * 1024 * 1024;
  await s3.storage.client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: 'suite/run-1/raw/put.bin',
      Body: bytesStream(n, 4, { chunk: 64 * 1024 }),
      ContentLength: n,
    }),
  );
  assert.equal(sha256(await s3.storage.get('raw/put.bin')), sha256(bytes(n, 4)));
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const SECRET_ID = 'fldTestKeyIdNeverShown';
const SECRET = 'fld-secret-value-never-shown-42';
function assertNoSecrets(e: unknown): void {
  for (const text of [String((e as Error).message), inspect(e, { depth: 10 }), JSON.stringify(e)]) {
    assert.ok(!text.includes(SECRET_ID), `access key id leaked: ${text}`);
    assert.ok(!text.includes(SECRET), `secret leaked: ${text}`);
  }
}

test('S3Storage: a refused endpoint fails after bounded retries, naming endpoint, operation and key, never the credentials', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const st = new S3Storage({
    bucket: 'b',
    prefix: 'p',
    endpoint,
    maxAttempts: 3,
    credentials: { accessKeyId: SECRET_ID, secretAccessKey: SECRET },
  });
  try {
    for (const [op, run] of [
      ['get', () => st.get('x/y.bin')],
      ['put', () => st.put('x/y.bin', 'data')],
      ['head', () => st.head('x/y.bin')],
    ] as const) {
      await assert.rejects(run(), (e: unknown) => {
        assert.ok(e instanceof StorageError, String(e));
        assert.match(e.message, new RegExp(endpoint.replaceAll('.', '\\.')));
        assert.match(e.message, new RegExp(`${op} "x/y\\.bin"`));
        assert.match(e.message, /ECONNREFUSED/);
        assert.match(e.message, /3 attempt\(s\) of at most 3/);
        assert.equal(e.retryable, true);
        assertNoSecrets(e);
        return true;
      });
    }
    await assert.rejects(listAll(st, 'x/'), (e: unknown) => e instanceof StorageError && e.message.includes(endpoint));
    // A stream body of a failed put is released, not left open.
    const src = bytesStream(1 << 20, 9);
    await assert.rejects(
      st.put('x/s.bin', src),
      (e: unknown) => e instanceof StorageError && /ECONNREFUSED/.test(e.message),
    );
    assert.equal(src.destroyed, true);
  } finally {
    await st.close();
  }
});

test('S3Storage: refused credentials fail with the endpoint named and neither key id nor secret shown', async () => {
  const st = new S3Storage({ ...s3.options, credentials: { accessKeyId: SECRET_ID, secretAccessKey: SECRET } });
  try {
    await assert.rejects(st.get('any/key.bin'), (e: unknown) => {
      assert.ok(e instanceof StorageError, String(e));
      assert.match(e.message, /InvalidAccessKeyId/);
      assert.ok(e.message.includes(s3.endpoint) && e.message.includes('get "any/key.bin"'), e.message);
      assert.equal(e.retryable, false);
      assertNoSecrets(e);
      return true;
    });
  } finally {
    await st.close();
  }
});

test('S3Storage: a server that accepts and never answers times out instead of hanging', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const silent: Server = createServer((s) => {
    sockets.add(s);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const st = new S3Storage({
    bucket: 'b',
    endpoint,
    maxAttempts: 2,
    socketTimeoutMs: 200,
    credentials: { accessKeyId: 'a', secretAccessKey: 'bbbb' },
  });
  try {
    await assert.rejects(
      st.get('k'),
      (e: unknown) =>
        e instanceof StorageError &&
        /TimeoutError/.test(e.message) &&
        e.message.includes(endpoint) &&
        /2 attempt/.test(e.message),
    );
  } finally {
    await st.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('S3Storage: a connection lost mid-body fails get and getStream with the key and endpoint named', async () => {
  // A real HTTP server that promises 1 MB and hangs up after 64 KiB.
  const http = await import('node:http');
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1048576', 'content-type': 'application/octet-stream' });
    res.write(Buffer.alloc(64 * 1024, 1), () => res.socket?.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const st = new S3Storage({
    bucket: 'b',
    endpoint,
    maxAttempts: 2,
    credentials: { accessKeyId: 'a', secretAccessKey: 'bbbb' },
  });
  try {
    await assert.rejects(
      st.get('cut/obj.bin'),
      (e: unknown) =>
        e instanceof StorageError && e.message.includes('get "cut/obj.bin"') && e.message.includes(endpoint),
    );
    const stream = await st.getStream('cut/obj.bin');
    await assert.rejects(
      async () => {
        for await (const _ of stream) {
          /* drain */
        }
      },
      (e: unknown) =>
        e instanceof StorageError &&
        e.message.includes('getStream "cut/obj.bin"') &&
        /while reading the body/.test(e.message) &&
        e.retryable,
    );
  } finally {
    await st.close();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
});

test('S3Storage: bad options are refused by name', () => {
  assert.throws(() => new S3Storage({ bucket: '' }), /bucket/);
  assert.throws(() => new S3Storage({ bucket: 'b', maxAttempts: 0 }), /maxAttempts/);
  assert.throws(() => new S3Storage({ bucket: 'b', prefix: 'a/../b' }), /\.\./);
});

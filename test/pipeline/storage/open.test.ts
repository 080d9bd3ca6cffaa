// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openStorage } from '../../../pipeline/storage/open-storage.ts';
import { LocalStorage } from '../../../pipeline/storage/local.ts';
import { S3Storage } from '../../../pipeline/storage/s3.ts';
import { StorageError } from '../../../pipeline/storage/storage.ts';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver.ts';

let dir: string;
let s3: S3rverHandle;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-open-'));
  s3 = await startS3rver();
});
after(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

test('openStorage: file URLs and plain paths open a LocalStorage on that folder', async () => {
  const a = openStorage(pathToFileURL(join(dir, 'a')).href);
  assert.ok(a instanceof LocalStorage);
  assert.equal(a.root, join(dir, 'a'));
  await a.put('x/y.txt', 'hi');
  const b = openStorage(join(dir, 'a'));
  assert.equal(Buffer.from(await b.get('x/y.txt')).toString(), 'hi');
  const rel = openStorage('some/rel');
  assert.ok(rel instanceof LocalStorage);
  assert.equal(rel.root, resolve('some/rel'));
  await a.close();
});

test('openStorage: s3://bucket/prefix takes endpoint, region and credentials from the environment', async () => {
  const env = { FLD_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'eu-west-3', FLD_S3_MAX_ATTEMPTS: '2' };
  const st = openStorage(`s3://${s3.bucket}/env/run`, { env, credentials: s3.credentials });
  try {
    assert.ok(st instanceof S3Storage);
    assert.equal(st.url, `s3://${s3.bucket}/env/run/`);
    assert.equal(st.endpoint, s3.endpoint);
    assert.equal(await st.client.config.region(), 'eu-west-3');
    assert.equal(await st.client.config.maxAttempts(), 2);
    assert.equal(st.client.config.forcePathStyle, true);
    assert.equal(await st.client.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await st.client.config.responseChecksumValidation(), 'WHEN_REQUIRED');
    await st.put('a.txt', 'through env');
    const view = new S3Storage({ ...s3.options, prefix: 'env' });
    assert.equal(Buffer.from(await view.get('run/a.txt')).toString(), 'through env');
    await view.close();
  } finally {
    await st.close();
  }
});

test('openStorage: without credentials in the options the standard AWS chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY', async () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  const st = openStorage(`s3://${s3.bucket}/chain`, { env: { FLD_S3_ENDPOINT: s3.endpoint } });
  try {
    await st.put('k.txt', 'via the chain');
    assert.equal(Buffer.from(await st.get('k.txt')).toString(), 'via the chain');
  } finally {
    await st.close();
    for (const [k, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('openStorage: options beat the environment; AWS without an endpoint keeps the SDK checksum default', async () => {
  const st = openStorage('s3://bkt', {
    env: { FLD_S3_ENDPOINT: 'http://127.0.0.1:1', FLD_S3_CHECKSUMS: 'when_supported' },
    endpoint: s3.endpoint,
    forcePathStyle: false,
  });
  const aws = openStorage('s3://bkt/p', { env: {}, region: 'us-west-2' });
  try {
    assert.equal((st as S3Storage).endpoint, s3.endpoint);
    assert.equal((st as S3Storage).client.config.forcePathStyle, false);
    assert.equal(await (st as S3Storage).client.config.requestChecksumCalculation(), 'WHEN_SUPPORTED');
    assert.equal((aws as S3Storage).endpoint, 'AWS S3 (us-west-2)');
    assert.equal((aws as S3Storage).client.config.forcePathStyle, false);
    assert.equal(await (aws as S3Storage).client.config.requestChecksumCalculation(), 'WHEN_SUPPORTED');
  } finally {
    await st.close();
    await aws.close();
  }
});

test('openStorage: bad URLs and bad environment values are refused by name', () => {
  assert.throws(
    () => openStorage(''),
    (e: unknown) => e instanceof StorageError && /empty storage URL/.test(e.message),
  );
  assert.throws(() => openStorage('gs://b/p'), /unsupported scheme "gs:\/\/"/);
  assert.throws(() => openStorage('s3:///prefix'), /no bucket/);
  assert.throws(() => openStorage('s3://b/p/../q'), /"\.\."/);
  assert.throws(() => openStorage('file://host/x'), /not a local file URL/);
  assert.throws(() => openStorage('s3://b', { env: { FLD_S3_MAX_ATTEMPTS: 'lots' } }), /FLD_S3_MAX_ATTEMPTS="lots"/);
  assert.throws(() => openStorage('s3://b', { env: { FLD_S3_FORCE_PATH_STYLE: 'maybe' } }), /FLD_S3_FORCE_PATH_STYLE/);
  assert.throws(() => openStorage('s3://b', { env: { FLD_S3_CHECKSUMS: 'never' } }), /FLD_S3_CHECKSUMS/);
});

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, maskSecrets } from '../../pipeline/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

test('passwords in URLs, secret fields and AWS key ids never reach a log line', () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination, level: 'debug' });
  log.info(
    {
      redis: 'rediss://default:s3cretPass@127.0.0.1:6380/0',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
      nested: { password: 'hunter2' },
    },
    'connect',
  );
  log.warn('retry redis://u:hunter2@h:6379 with key AKIAIOSFODNN7EXAMPLE');
  const all = lines.join('\n');
  for (const secret of ['s3cretPass', 'wJalrXUtnFEMI', 'hunter2', 'AKIAIOSFODNN7EXAMPLE'])
    assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
  assert.match(all, /127\.0\.0\.1:6380/);
  assert.equal(lines.length, 2);
});

test('maskSecrets keeps URLs without credentials unchanged', () => {
  assert.equal(maskSecrets('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(maskSecrets('s3://bucket/prefix'), 's3://bucket/prefix');
});

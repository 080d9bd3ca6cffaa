import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../../pipeline/config/load-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'fld-config-'));

test('defaults apply and the environment overrides the file', async () => {
  const f = join(dir, 'a.json');
  writeFileSync(f, JSON.stringify({ shardSize: 200, storage: '/data/x' }));
  const c = await loadConfig(f, { FLD_STORAGE: 's3://bucket/p' });
  assert.equal(c.shardSize, 200);
  assert.equal(c.storage, 's3://bucket/p');
  assert.equal(c.redis, 'redis://127.0.0.1:6379');
  assert.equal(c.queuePrefix, '{fld}');
});

test('YAML config files are read', async () => {
  const f = join(dir, 'b.yaml');
  writeFileSync(f, 'window: 3\nbatchSize: 4\n');
  const c = await loadConfig(f, {});
  assert.equal(c.window, 3);
  assert.equal(c.batchSize, 4);
});

test('a broken config names the file and the field, an unknown key is refused', async () => {
  const f = join(dir, 'c.json');
  writeFileSync(f, JSON.stringify({ shardSize: -5, queuePrefix: 'fld' }));
  await assert.rejects(loadConfig(f, {}), (e: Error) => e instanceof ConfigError && e.message.includes(f) && /shardSize/.test(e.message) && /-5/.test(e.message) && /queuePrefix/.test(e.message));
  writeFileSync(f, JSON.stringify({ shardsize: 5 }));
  await assert.rejects(loadConfig(f, {}), /shardsize/);
  writeFileSync(f, '{not json');
  await assert.rejects(loadConfig(f, {}), /not valid JSON/);
});

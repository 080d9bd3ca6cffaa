// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../../pipeline/config/load-config.ts';
import { ortThreadsFor } from '../../../schemas/ort-config.ts';

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
  await assert.rejects(
    loadConfig(f, {}),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes(f) &&
      /shardSize/.test(e.message) &&
      /-5/.test(e.message) &&
      /queuePrefix/.test(e.message),
  );
  writeFileSync(f, JSON.stringify({ shardsize: 5 }));
  await assert.rejects(loadConfig(f, {}), /shardsize/);
  writeFileSync(f, '{not json');
  await assert.rejects(loadConfig(f, {}), /not valid JSON/);
});

test('ort threads default to 1 intra, 1 inter, 1 replica, no spinning; per-specialist overrides win field by field', async () => {
  const c = await loadConfig(undefined, {});
  assert.deepEqual(c.ort, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    replicas: 1,
    spinning: false,
    perSpecialist: {},
  });
  const f = join(dir, 'ort.yaml');
  writeFileSync(
    f,
    'ort:\n  intraOpNumThreads: 2\n  perSpecialist:\n    detector: { intraOpNumThreads: 1, replicas: 2 }\n    captioner: { spinning: true }\n',
  );
  const o = (await loadConfig(f, {})).ort;
  assert.deepEqual(ortThreadsFor(o, 'detector'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    replicas: 2,
    spinning: false,
  });
  assert.deepEqual(ortThreadsFor(o, 'captioner'), {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    replicas: 1,
    spinning: true,
  });
  assert.deepEqual(ortThreadsFor(o, 'ocr'), {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    replicas: 1,
    spinning: false,
  });
});

test('broken ort settings are refused naming the field', async () => {
  const f = join(dir, 'ort-bad.json');
  const refused = async (ort: unknown, field: RegExp) => {
    writeFileSync(f, JSON.stringify({ ort }));
    await assert.rejects(
      loadConfig(f, {}),
      (e: Error) => e instanceof ConfigError && field.test(e.message),
      `${JSON.stringify(ort)} should be refused naming ${field}`,
    );
  };
  await refused({ replicas: 0 }, /ort\.replicas/);
  await refused({ intraOpNumThreads: -1 }, /ort\.intraOpNumThreads/);
  await refused({ interOpNumThreads: 1.5 }, /ort\.interOpNumThreads/);
  await refused({ perSpecialist: { detector: { replicas: 0 } } }, /ort\.perSpecialist\.detector\.replicas/);
  await refused({ perSpecialist: { detector: { replica: 2 } } }, /replica/);
  await refused({ perSpecialist: { detecter: { replicas: 2 } } }, /detecter/);
  await refused({ threads: 2 }, /threads/);
});

test("filters are checked by the filters' own schema at load: a typo or a wrong type inside them stops the command", async () => {
  const f = join(dir, 'filters.json');
  writeFileSync(f, JSON.stringify({ filters: { boxes: { scoreTreshold: 0.4 } } }));
  await assert.rejects(
    loadConfig(f, {}),
    (e: Error) =>
      e instanceof ConfigError && e.message.includes(f) && /filters/.test(e.message) && /scoreTreshold/.test(e.message),
  );
  writeFileSync(f, JSON.stringify({ filters: { boxes: { scoreThreshold: 'high' } } }));
  await assert.rejects(loadConfig(f, {}), (e: Error) => e instanceof ConfigError && /scoreThreshold/.test(e.message));
  writeFileSync(f, JSON.stringify({ filters: { text: { brief: { minObjcts: 2 } } } }));
  await assert.rejects(loadConfig(f, {}), /minObjcts/);
  writeFileSync(f, JSON.stringify({ filters: { boxes: { scoreThreshold: 0.4 }, text: { brief: { minObjects: 2 } } } }));
  const c = await loadConfig(f, {});
  assert.deepEqual(c.filters, { boxes: { scoreThreshold: 0.4 }, text: { brief: { minObjects: 2 } } });
});

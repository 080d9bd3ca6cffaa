// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, ValidationError } from '../../schemas/validate.ts';
import type { z } from 'zod';
import {
  ErrorRecord,
  ImageRecord,
  RegionTextRecord,
  TextPhraseRegionRecord,
  TextRecord,
} from '../../schemas/records.ts';
import { RoundManifest } from '../../schemas/manifest.ts';
import { DoneMarker } from '../../schemas/done-marker.ts';
import { ShardJob } from '../../schemas/jobs.ts';
import { EngineConfig } from '../../schemas/config.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';
import {
  errorRecords,
  imageRecords,
  regionTextRecords,
  textPhraseRegionRecords,
  textRecords,
} from '../helpers/sample-records.ts';

const region = {
  image_id: 'img1',
  round: 0,
  region_id: 'r0',
  kind: 'object',
  box: [1, 2, 3, 4],
  quad: null,
  phrase: 'red circle',
  brief: null,
  noun_chunks: [],
  source: 'detector@1',
  score: 0.9,
  sources: ['detector@1'],
};

test('a valid region_text row passes and keeps its values', () => {
  assert.deepEqual(validate(RegionTextRecord, region, 'row'), region);
});

test('an invalid record names the field and the offending value', () => {
  assert.throws(
    () => validate(RegionTextRecord, { ...region, box: [0, 0, Number.NaN, 1] }, 'region_text row 3'),
    (e: unknown) =>
      e instanceof ValidationError &&
      /region_text row 3/.test(e.message) &&
      /box\[2\]/.test(e.message) &&
      /NaN/.test(e.message),
  );
  assert.throws(
    () =>
      validate(
        TextPhraseRegionRecord,
        {
          image_id: 'a',
          round: 0,
          text_id: 't',
          granularity: 'huge',
          phrase: 'p',
          span: [3, 1],
          boxes: [],
          source: 's',
          score: null,
          sources: [],
        },
        'tpr',
      ),
    (e: unknown) =>
      e instanceof ValidationError &&
      /granularity/.test(e.message) &&
      /"huge"/.test(e.message) &&
      /span/.test(e.message) &&
      /boxes/.test(e.message),
  );
});

test('an unknown schema_version is refused naming both versions', () => {
  assert.doesNotThrow(() => checkSchemaVersion('shard x', SCHEMA_VERSION));
  assert.throws(() => checkSchemaVersion('shard x', 99), new RegExp(`shard x.*99.*${SCHEMA_VERSION}`));
});

// An invalid record is rejected with the field named. One bad value per record kind,
// manifest, done marker, job payload and config: the message names what was validated, the field's
// path and the offending value, and a good value of the same record passes.
const manifest = {
  schema_version: SCHEMA_VERSION,
  collection: 'demo',
  round: 0,
  created_at: '2026-11-26T07:00:00Z',
  config: {},
  models: [],
  shards: [0],
  counts: { text: 1, region_text: 0, text_phrase_region: 0, errors: 0 },
  files: [
    {
      key: 'demo/round-0/text/shard-00000.parquet',
      kind: 'text',
      shard: 0,
      rows: 1,
      bytes: 10,
      sha256: 'a'.repeat(64),
    },
  ],
};
const marker = {
  schema_version: SCHEMA_VERSION,
  stage: 'merge',
  shard: 0,
  counts: { text: 1 },
  stats: { nms: { total: 3, kept: 2, dropped: { overlap: 1 }, ms: 1.5 } },
  finished_at: '2026-11-26T07:00:00Z',
  ms: 12,
};
const BAD: [string, z.ZodType, Record<string, unknown>, (r: Record<string, unknown>) => unknown, RegExp, RegExp][] = [
  ['image', ImageRecord, imageRecords(1)[0], (r) => ({ ...r, width: -640 }), /field "width"/, /-640/],
  [
    'text',
    TextRecord,
    textRecords(1)[0],
    (r) => ({ ...r, granularity: 'verbose' }),
    /field "granularity"/,
    /"verbose"/,
  ],
  [
    'region_text',
    RegionTextRecord,
    regionTextRecords(1)[0],
    (r) => ({ ...r, quad: [1, 2, 3] }),
    /field "quad"/,
    /\[1,2,3\]/,
  ],
  [
    'text_phrase_region',
    TextPhraseRegionRecord,
    textPhraseRegionRecords(1)[0],
    (r) => ({ ...r, boxes: [[0, 0, 'x', 1]] }),
    /field "boxes\[0\]\[2\]"/,
    /"x"/,
  ],
  ['errors', ErrorRecord, errorRecords(1)[0], (r) => ({ ...r, shard: 1.5 }), /field "shard"/, /1\.5/],
  [
    'manifest',
    RoundManifest,
    manifest,
    (r) => ({ ...r, files: [{ ...(r.files as object[])[0], sha256: 'XYZ' }] }),
    /field "files\[0\]\.sha256"/,
    /"XYZ"/,
  ],
  [
    'done marker',
    DoneMarker,
    marker,
    (r) => ({ ...r, stats: { nms: { total: 3, kept: -2, dropped: {}, ms: 1 } } }),
    /field "stats\.nms\.kept"/,
    /-2/,
  ],
  [
    'job payload',
    ShardJob,
    { collection: 'demo', round: 0, shard: 3, stage: 'merge' },
    (r) => ({ ...r, stage: 'annotate:' }),
    /field "stage"/,
    /"annotate:"/,
  ],
  ['config', EngineConfig, {}, (r) => ({ ...r, shardSize: 0 }), /field "shardSize"/, /got 0\)/],
  [
    'config',
    EngineConfig,
    {},
    (r) => ({ ...r, shard_size: 1000 }),
    /Unrecognized key: "shard_size"/,
    /got \{"shard_size":1000\}/,
  ],
];

for (const [what, schema, good, spoil, field, value] of BAD) {
  test(`${what}: a bad field is rejected naming the field (${field.source}) and its value; the good record passes`, () => {
    assert.doesNotThrow(() => validate(schema, good, what));
    assert.throws(
      () => validate(schema, spoil(good), `${what} in the test`),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError, String(e));
        assert.match(e.message, new RegExp(`^${what} in the test: `));
        assert.match(e.message, field);
        assert.match(e.message, value);
        return true;
      },
    );
  });
}

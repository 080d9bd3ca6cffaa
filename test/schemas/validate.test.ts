import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, ValidationError } from '../../schemas/validate.ts';
import { RegionTextRecord, TextPhraseRegionRecord } from '../../schemas/records.ts';
import { checkSchemaVersion, SCHEMA_VERSION } from '../../schemas/version.ts';

const region = {
  image_id: 'img1', round: 0, region_id: 'r0', kind: 'object', box: [1, 2, 3, 4], quad: null,
  phrase: 'red circle', brief: null, noun_chunks: [], source: 'detector@1', score: 0.9, sources: ['detector@1'],
};

test('a valid region_text row passes and keeps its values', () => {
  assert.deepEqual(validate(RegionTextRecord, region, 'row'), region);
});

test('an invalid record names the field and the offending value', () => {
  assert.throws(
    () => validate(RegionTextRecord, { ...region, box: [0, 0, Number.NaN, 1] }, 'region_text row 3'),
    (e: unknown) => e instanceof ValidationError && /region_text row 3/.test(e.message) && /box\[2\]/.test(e.message) && /NaN/.test(e.message),
  );
  assert.throws(
    () => validate(TextPhraseRegionRecord, { image_id: 'a', round: 0, text_id: 't', granularity: 'huge', phrase: 'p', span: [3, 1], boxes: [], source: 's', score: null, sources: [] }, 'tpr'),
    (e: unknown) => e instanceof ValidationError && /granularity/.test(e.message) && /"huge"/.test(e.message) && /span/.test(e.message) && /boxes/.test(e.message),
  );
});

test('an unknown schema_version is refused naming both versions', () => {
  assert.doesNotThrow(() => checkSchemaVersion('shard x', SCHEMA_VERSION));
  assert.throws(() => checkSchemaVersion('shard x', 99), new RegExp(`shard x.*99.*${SCHEMA_VERSION}`));
});

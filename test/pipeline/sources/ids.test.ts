// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { imageIdFromBytes, imageIdFromUri, normaliseUri } from '../../../pipeline/sources/ids.ts';

test('the id is the first 16 hex chars of sha256 of the normalised uri', () => {
  const want = createHash('sha256').update('/data/a.jpg').digest('hex').slice(0, 16);
  assert.equal(imageIdFromUri('/data/a.jpg'), want);
  assert.match(want, /^[0-9a-f]{16}$/);
});

test('the same image named differently gets the same id; different images do not', () => {
  const a = imageIdFromUri('/data/a.jpg');
  assert.equal(imageIdFromUri('/data/x/../a.jpg'), a);
  assert.equal(imageIdFromUri('//data//a.jpg'), a);
  assert.equal(imageIdFromUri('file:///data/a.jpg'), a);
  assert.notEqual(imageIdFromUri('/data/b.jpg'), a);
  assert.equal(imageIdFromUri('HTTPS://Example.com:443/a%20b.jpg'), imageIdFromUri('https://example.com/a b.jpg'));
  assert.equal(normaliseUri('S3://bucket/Key.JPG'), 's3://bucket/Key.JPG');
});

test('ids from bytes depend on the bytes only', () => {
  const b = new TextEncoder().encode('image bytes');
  assert.equal(imageIdFromBytes(b), createHash('sha256').update(b).digest('hex').slice(0, 16));
  assert.notEqual(imageIdFromBytes(new TextEncoder().encode('other')), imageIdFromBytes(b));
});

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardJob, jobId } from '../../schemas/jobs.ts';
import { validate } from '../../schemas/validate.ts';

test('job ids are deterministic and free of ":"', () => {
  const j = validate(ShardJob, { collection: 'demo', round: 1, shard: 7, stage: 'annotate:detector' }, 'job');
  assert.equal(jobId(j), 'demo.1.annotate-detector.00007');
  assert.equal(jobId({ ...j }), jobId(j));
  assert.ok(!jobId(j).includes(':'));
});

test('a bad payload names the field', () => {
  assert.throws(
    () => validate(ShardJob, { collection: 'a b', round: -1, shard: 0, stage: 'annotate' }, 'job payload'),
    /collection.*round.*stage/s,
  );
});

// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeRoundStats, type RoundStats } from '../../pipeline/stats/round-stats.ts';
import { putFolder } from '../helpers/put-folder.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { writeFixture } from './fixture-rounds.ts';
import { fld } from './run-fld.ts';

/**
 * `fld stats` on a round in S3 (s3rver on loopback) gives the same tables as on the same files on a
 * local root: the round is found through the Storage interface and DuckDB reads local copies.
 */
let root: string;
let s3: S3rverHandle;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fld-stats-s3-'));
  await writeFixture(root);
  s3 = await startS3rver();
  await putFolder(s3.storage, root);
});
after(async () => {
  await s3?.close();
  rmSync(root, { recursive: true, force: true });
});

const withoutRoot = ({ root: _, ...rest }: RoundStats) => rest;

test('the stats of an S3 round, and its diff with another round, equal those of the same round on local disk', async () => {
  const copiesBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('fld-local-files-')).length;
  for (const o of [{ round: 0 }, { round: 1, diff: 0 }]) {
    const local = await computeRoundStats({ root, ...o });
    const remote = await computeRoundStats({ root: s3.storage.url, storage: s3.storage, ...o });
    assert.equal(local.root, root);
    assert.equal(remote.root, s3.storage.url);
    assert.ok(local.overview.text > 0);
    assert.deepEqual(withoutRoot(remote), withoutRoot(local), `round ${o.round}`);
  }
  const copiesAfter = readdirSync(tmpdir()).filter((n) => n.startsWith('fld-local-files-')).length;
  assert.equal(copiesAfter, copiesBefore, 'the local copies are deleted');
});

test('fld stats --root s3://... prints the tables it prints for the local root', async () => {
  const env = { ...process.env, ...s3.env };
  const local = await fld(['stats', '--root', root, '--round', '0']);
  const remote = await fld(['stats', '--root', `s3://${s3.bucket}`, '--round', '0'], env);
  assert.equal(local.code, 0, local.stderr);
  assert.equal(remote.code, 0, remote.stderr);
  assert.match(local.stdout, /Text\s+Brief\s/);
  assert.equal(remote.stdout, local.stdout);
});

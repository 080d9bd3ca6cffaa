import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { qualityTable, roundsQuality } from '../../pipeline/quality/round-quality.ts';
import { fld, makeWorld } from '../pipeline/engine/harness.ts';

/**
 * Quality of stored rounds: a 16-image world's round 0 from its pre-existing annotations alone
 * (alt-texts, human boxes; no specialist, so it runs in seconds), scored through the engine's image
 * records, must equal what `fld world score` says of the same round folder, and the table prints it.
 */
let world: { dir: string; manifest: string };
let root: string;
before(async () => {
  world = await makeWorld(16, 5, ['--boxes-fraction', '0.5']);
  root = join(world.dir, 'data');
  const config = join(world.dir, 'fld.config.json');
  await writeFile(config, JSON.stringify({ storage: root, shardSize: 8 }));
  const r = await fld(['run', world.manifest, '--collection', 'q', '--config', config], { cwd: world.dir }).done;
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
});

test('roundsQuality scores a stored round as fld world score does', async () => {
  const [q] = await roundsQuality({ world: world.dir, root, collection: 'q', rounds: [0] });
  assert.equal(q!.round, 0);
  const cli = await fld(['world', 'score', '--world', world.dir, '--labels', join(root, 'q', 'round-0'), '--images', join(root, 'q', 'images'), '--json'], { cwd: world.dir }).done;
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(q!.report, JSON.parse(cli.stdout));
  assert.equal(q!.report.images, 16);
  assert.ok(q!.report.boxes.tp > 0, 'human boxes match true objects');
  assert.ok(q!.report.captions.brief.captioned > 0, 'alt-texts are brief captions');
});

test('scope limits the images scored', async () => {
  const [q] = await roundsQuality({ world: world.dir, root, collection: 'q', rounds: [0], scope: (ids) => ids.slice(0, 4) });
  assert.equal(q!.report.images, 4);
});

test('qualityTable: one line per round, "-" where there was nothing to score', async () => {
  const rounds = await roundsQuality({ world: world.dir, root, collection: 'q', rounds: [0, 0] });
  const lines = qualityTable(rounds).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /round\s+images\s+box F1\s+brief F1\s+detailed F1\s+more det\. F1\s+grounding\s+OCR CER/);
  const r = rounds[0]!.report;
  const cells = lines[2]!.trim().split(/\s+/);
  assert.equal(cells[0], '0');
  assert.equal(cells[1], '16');
  assert.equal(cells[2], r.boxes.f1.toFixed(3));
  const p = r.captions.brief.precision;
  const rc = r.captions.brief.recall;
  assert.equal(cells[3], ((2 * p * rc) / (p + rc)).toFixed(3));
  assert.equal(cells[4], '-', 'no detailed captions in round 0');
  assert.equal(cells[6], '-', 'no groundings');
  // no OCR specialist ran: every true word is missed (CER 1), which is not the same as nothing to score
  assert.ok(r.ocr.truth_chars > 0);
  assert.equal(cells[7], r.ocr.cer.toFixed(3));
});

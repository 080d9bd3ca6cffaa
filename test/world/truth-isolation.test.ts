// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { smallWorld } from './helpers.ts';

/**
 * The truth of the demo world is read only by demo/world (which wrote it) and demo/quality
 * (which scores against it). Everything else, the engine above all, must see only the collection.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// pipeline/cli/world.ts is the world's own command (generate, export-noisy), a front for demo/world.
// Measuring a specialist against the truth is the quality side's job, so the OCR-on-world test and
// bench may read it; the trainer's world drivers only check that a world is complete (truth/world.json
// is the generator's last file) and score through `fld world score`.
const ALLOWED = [
  /^pipeline\/world\//,
  /^pipeline\/cli\/world\.ts$/,
  /^pipeline\/quality\//,
  /^test\/world\//,
  /^test\/quality\//,
  /^bench\/world\.bench\.ts$/,
  /^test\/specialists\/ocr\/world\.test\.ts$/,
  /^bench\/ocr-world\.bench\.ts$/,
  /^training\/miniloop\.py$/,
  /^training\/train_world\.py$/,
];
const SCANNED = [
  'bin',
  'schemas',
  'filters',
  'specialists',
  'pipeline',
  'workers',
  'training',
  'bench',
  'test',
  'scripts',
];
const FORBIDDEN = [
  /world\/truth-store(\.ts)?['"]/, // the truth reader
  /world\/truth(\.ts)?['"]/, // the truth tables
  /\breadTruth\b|\btruthDir\b|\bTRUTH_DIR\b/,
  /['"`/]truth\//, // a path into <world>/truth/
  /['"`/]truth['"`]/, // join(world, 'truth')
];

function truthReferences(source: string): string[] {
  return FORBIDDEN.filter((re) => re.test(source)).map(String);
}

function files(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (n === 'node_modules' || n.startsWith('.')) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (/\.(ts|js|mjs|cjs|py|sh)$/.test(n)) out.push(p);
  }
  return out;
}

test('no module outside demo/world and demo/quality references the truth or its reader', () => {
  const scanned = SCANNED.flatMap((d) => files(join(ROOT, d))).map((f) => relative(ROOT, f));
  assert.ok(
    scanned.some((f) => f.startsWith('pipeline/cli/')) && scanned.some((f) => f.startsWith('schemas/')),
    'the scan sees the engine',
  );
  const offenders = scanned
    .filter((f) => !ALLOWED.some((re) => re.test(f)))
    .flatMap((f) => truthReferences(readFileSync(join(ROOT, f), 'utf8')).map((why) => `${f}: ${why}`));
  assert.deepEqual(offenders, []);
  // The rules do catch the ways of reaching the truth.
  for (const bad of [
    `import { readTruth } from '../world/truth-store.ts';`,
    `const f = join(world, 'truth', 'objects.parquet');`,
    "read_parquet('w/truth/objects.parquet')",
  ]) {
    assert.ok(truthReferences(bad).length > 0, bad);
  }
  assert.deepEqual(
    truthReferences(
      `import { scoreAnnotations } from '../quality/score.ts'; // ground truth is the quality module's business`,
    ),
    [],
  );
});

test('the engine annotates the collection with truth/ unreadable (chmod 000)', async () => {
  const world = await smallWorld(6, 2, { wordProbability: 1 });
  const truth = join(world, 'truth');
  const hidden = join(world, '.truth-hidden');
  const data = mkdtempSync(join(tmpdir(), 'fld-isolation-data-'));
  const config = join(data, 'fld.config.json');
  writeFileSync(
    config,
    JSON.stringify({ storage: join(data, 'store'), shardSize: 3, specialists: { ocr: 'ppocr-v4' } }),
  );
  for (const d of [world, join(world, 'collection'), join(world, 'collection', 'images')]) chmodSync(d, 0o755);
  chmodSync(data, 0o777);
  chmodSync(config, 0o644);
  chmodSync(truth, 0o000);
  try {
    // The annotation path is the engine's own round (`fld run`: image shards, OCR, filters, merge).
    // Root ignores permission bits, so as root it runs as user nobody, for whom truth/ really is
    // unreadable; where the checkout is private to root, nobody cannot run it and truth/ is moved away.
    const root = process.getuid?.() === 0;
    const nobody = { uid: 65534, gid: 65534 };
    const nobodyCanRun =
      root &&
      spawnSync(
        process.execPath,
        ['-e', `require('fs').accessSync(${JSON.stringify(join(ROOT, 'node_modules', 'tsx', 'package.json'))})`],
        nobody,
      ).status === 0;
    if (root && !nobodyCanRun) renameSync(truth, hidden);
    const asNobody = nobodyCanRun ? nobody : {};
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'fld.js'),
        'run',
        join(world, 'collection', 'manifest.jsonl'),
        '--collection',
        'iso',
        '--config',
        config,
      ],
      { cwd: data, encoding: 'utf8', env: { ...process.env, HOME: data }, ...asNobody },
    );
    assert.equal(r.status, 0, r.stderr);
    const merged = readdirSync(join(data, 'store', 'iso', 'round-0', '_done', 'merge'));
    assert.deepEqual(merged, ['shard-00000.json', 'shard-00001.json']);
    const ocrShards = readdirSync(join(data, 'store', 'iso', 'round-0', 'region_text'));
    assert.equal(ocrShards.length, 2);
    if (nobodyCanRun)
      assert.throws(
        () =>
          spawnSync(
            process.execPath,
            ['-e', `require('fs').readFileSync(${JSON.stringify(join(truth, 'world.json'))})`],
            { ...nobody, encoding: 'utf8' },
          ).status === 0 ||
          (() => {
            throw new Error('unreadable');
          })(),
        /unreadable/,
      );
  } finally {
    if (existsSync(hidden)) renameSync(hidden, truth);
    chmodSync(truth, 0o755);
    rmSync(world, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
});

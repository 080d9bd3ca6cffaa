import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { smallWorld } from './helpers.ts';

/**
 * The truth of the demo world is read only by pipeline/world (which wrote it) and pipeline/quality
 * (which scores against it). Everything else, the engine above all, must see only the collection.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// pipeline/cli/world.ts is the world's own command (generate, export-noisy), a front for pipeline/world.
const ALLOWED = [/^pipeline\/world\//, /^pipeline\/cli\/world\.ts$/, /^pipeline\/quality\//, /^test\/world\//, /^test\/quality\//, /^bench\/world\.bench\.ts$/];
const SCANNED = ['bin', 'schemas', 'filters', 'specialists', 'pipeline', 'workers', 'training', 'bench', 'test', 'scripts'];
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

test('no module outside pipeline/world and pipeline/quality references the truth or its reader', () => {
  const scanned = SCANNED.flatMap((d) => files(join(ROOT, d))).map((f) => relative(ROOT, f));
  assert.ok(scanned.some((f) => f.startsWith('pipeline/cli/')) && scanned.some((f) => f.startsWith('schemas/')), 'the scan sees the engine');
  const offenders = scanned.filter((f) => !ALLOWED.some((re) => re.test(f))).flatMap((f) => truthReferences(readFileSync(join(ROOT, f), 'utf8')).map((why) => `${f}: ${why}`));
  assert.deepEqual(offenders, []);
  // The rules do catch the ways of reaching the truth.
  for (const bad of [`import { readTruth } from '../world/truth-store.ts';`, `const f = join(world, 'truth', 'objects.parquet');`, "read_parquet('w/truth/objects.parquet')"]) {
    assert.ok(truthReferences(bad).length > 0, bad);
  }
  assert.deepEqual(truthReferences(`import { scoreAnnotations } from '../quality/score.ts'; // ground truth is the quality module's business`), []);
});

test('the collection is readable and usable with truth/ unreadable (chmod 000)', async () => {
  const world = await smallWorld(6, 2);
  const truth = join(world, 'truth');
  chmodSync(world, 0o755);
  chmodSync(truth, 0o000);
  try {
    // The collection path: read the manifest and decode every image. Root ignores permission bits, so
    // as root the path runs as user nobody, for whom truth/ really is unreadable.
    const script = `
      const { readManifest } = await import(${JSON.stringify(new URL('../../pipeline/world/manifest.ts', import.meta.url).href)});
      const sharp = (await import('sharp')).default;
      const { readFileSync } = await import('node:fs');
      const lines = readManifest(${JSON.stringify(join(world, 'collection'))});
      let pixels = 0;
      for (const l of lines) pixels += (await sharp(${JSON.stringify(join(world, 'collection'))} + '/' + l.uri).raw().toBuffer()).length;
      let truthReadable = true;
      try { readFileSync(${JSON.stringify(join(truth, 'world.json'))}); } catch { truthReadable = false; }
      console.log(JSON.stringify({ images: lines.length, pixels, truthReadable }));`;
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', ...asNobody });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out, { images: 6, pixels: 6 * 256 * 256 * 3, truthReadable: false });
  } finally {
    chmodSync(truth, 0o755);
    rmSync(world, { recursive: true, force: true });
  }
});

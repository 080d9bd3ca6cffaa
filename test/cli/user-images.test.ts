// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeImage } from '../pipeline/sources/fixtures.ts';

/**
 * A user's own images, through the real CLI (`node bin/fld.js`) on real files and the
 * committed demo detector (a real small ONNX model): a config with no specialist stops before any work;
 * a model folder that is not there names `fld models pull` and the catalogue; a demo-world model on
 * a folder that is no demo world warns once (and not on a world); a registry name in `specialists`
 * runs its registry folder; `fld models list` says what each model is for; `models pull --help` lists
 * the catalogue.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FLD = join(REPO, 'bin', 'fld.js');
const DEMO_DETECTOR = join(REPO, 'models', 'demo-detector');
let t: ReturnType<typeof tempDir>;
let photos: string;

function fld(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [FLD, ...args], {
    cwd: t.dir,
    encoding: 'utf8',
    env: { ...process.env, FLD_LOG_LEVEL: 'warn', FLD_MODELS: join(t.dir, 'no-registry'), ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function config(name: string, body: Record<string, unknown>): string {
  const file = join(t.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ storage: join(t.dir, name), ...body }));
  return file;
}

before(async () => {
  t = tempDir();
  photos = join(t.dir, 'photos');
  await writeImage(join(photos, 'a.jpg'), 64, 48);
  await writeImage(join(photos, 'b.png'), 40, 30);
});
after(() => t.done());

test('no specialist configured: fld run and fld enqueue stop before any work with one line naming "specialists" and an example', () => {
  // an unreachable Redis: enqueue stops before it would connect
  const cfg = config('none', { redis: 'redis://127.0.0.1:1' });
  for (const cmd of ['run', 'enqueue']) {
    const r = fld([cmd, photos, '--collection', 'mine', '--config', cfg]);
    assert.equal(r.code, 2, r.err);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(
      lines[0],
      new RegExp(`^fld: ${cmd}: no specialist configured.*"specialists".*\\{"ocr": "ppocr-v4"\\}.*--annotations-only`),
    );
  }
  assert.equal(existsSync(join(t.dir, 'none')), false, 'nothing written');
});

test('a model folder that is not there fails at plan time, suggesting fld models pull and naming the catalogue', () => {
  const cfg = config('missing', { specialists: { detector: join(t.dir, 'models', 'yolov8n'), ocr: 'ppocr-v4' } });
  const r = fld(['run', photos, '--collection', 'mine', '--config', cfg]);
  assert.equal(r.code, 1, r.err);
  assert.match(
    r.err,
    /config specialists\.detector = ".*yolov8n": no such model folder and no model of that name in the registry .*fld models pull yolov8n fetches it .*catalogue: florence-2-base, florence-2-large, yolov8n/,
  );
  assert.equal(existsSync(join(t.dir, 'missing', 'mine')), false, 'no collection left behind');
  const wrongSlot = fld([
    'run',
    photos,
    '--collection',
    'mine',
    '--config',
    config('slot', { specialists: { detector: 'ppocr-v4' } }),
  ]);
  assert.match(
    wrongSlot.err,
    /specialists\.detector = "ppocr-v4": ppocr-v4 is the built-in ocr model; it serves specialists\.ocr only/,
  );
});

test('a demo-world model on a folder of photos warns once, naming the model; the round still runs', () => {
  const cfg = config('demo', { shardSize: 1, specialists: { detector: DEMO_DETECTOR } });
  const r = fld(['run', photos, '--collection', 'mine', '--config', cfg]);
  assert.equal(r.code, 0, r.err);
  const warnings = r.err.split('\n').filter((l) => l.startsWith('warning:'));
  assert.equal(warnings.length, 1, r.err);
  assert.match(
    warnings[0],
    /^warning: model demo-detector \(.*models\/demo-detector, specialists detector\) was trained on the demo world: its labels are only meaningful on demo-world images .* is not a demo world/,
  );
  assert.match(r.out, /^mine round 0: 2 shards, 2 images, 0 skipped, 0 errors ->/m);
});

test('the same model on a demo world (fld world generate) does not warn', () => {
  const world = join(t.dir, 'world');
  const g = fld(['world', 'generate', '--out', world, '--images', '2', '--seed', '5', '--workers', '1']);
  assert.equal(g.code, 0, g.err);
  const r = fld([
    'run',
    join(world, 'collection', 'manifest.jsonl'),
    '--collection',
    'w',
    '--config',
    config('world-run', { specialists: { detector: DEMO_DETECTOR } }),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /warning/);
});

test('a registry name in specialists runs the registry folder of that name ($FLD_MODELS)', () => {
  const registry = join(t.dir, 'registry');
  mkdirSync(registry);
  symlinkSync(DEMO_DETECTOR, join(registry, 'demo-detector'));
  const cfg = config('by-name', { specialists: { detector: 'demo-detector' } });
  const r = fld(['run', photos, '--collection', 'named', '--config', cfg], { FLD_MODELS: registry });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /warning: model demo-detector \(.*registry\/demo-detector, specialists detector\)/);
  assert.ok(readdirSync(join(t.dir, 'by-name', 'named', 'round-0', 'raw', 'detector')).length > 0, 'the detector ran');
  assert.ok(existsSync(join(t.dir, 'by-name', 'named', 'round-0', '_manifest.json')));
});

test('fld models list says what each model is for; models pull --help lists the catalogue', () => {
  const list = fld(['models', 'list']);
  assert.equal(list.code, 0, list.err);
  const lines = list.out.split('\n');
  assert.match(
    lines[0],
    /^registry .*no-registry: nothing pulled or trained yet \(fld models pull <name>: florence-2-base, florence-2-large, yolov8n\)/,
  );
  assert.match(lines[1], /\bdir\s+for$/);
  assert.match(
    lines.find((l) => l.startsWith('demo-detector '))!,
    /shipped .*demo world only: detector: boxes of 10 classes/,
  );
  assert.match(
    lines.find((l) => l.startsWith('demo-florence2 '))!,
    /shipped .*demo world only: captioner \(captions\), grounding \(phrase boxes\)/,
  );
  assert.match(lines.find((l) => l.startsWith('ppocr-v4 '))!, /built-in .*ocr: text lines with their quads/);
  const help = fld(['models', 'pull', '--help']);
  assert.equal(help.code, 0, help.err);
  for (const name of ['florence-2-base', 'florence-2-large', 'yolov8n'])
    assert.match(help.out, new RegExp(`^  ${name}\\s+\\S.*`, 'm'));
  assert.match(help.out, /yolov8n\s+YOLOv8n .*COCO's 80 classes/);
});

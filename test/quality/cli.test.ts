// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { DEFAULT_NOISE } from '../../demo/world/labels.ts';
import { smallWorld, tempDir } from '../world/helpers.ts';

const fld = (...args: string[]) => spawnSync(process.execPath, ['bin/fld.js', ...args], { encoding: 'utf8' });
const kebab = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

test('fld world score: exact labels score perfect, noisy labels lower, on every measure', async () => {
  const world = await smallWorld(16, 6, { wordProbability: 0.7 });
  const out = tempDir('score');
  try {
    const zero = Object.keys(DEFAULT_NOISE).flatMap((k) => [kebab(k), '0']);
    assert.equal(
      fld('world', 'export-noisy', '--world', world, '--out', join(out, 'exact'), '--format', 'jsonl', ...zero).status,
      0,
    );
    assert.equal(
      fld(
        'world',
        'export-noisy',
        '--world',
        world,
        '--out',
        join(out, 'noisy'),
        '--format',
        'jsonl',
        '--caption-extra-object',
        '0.5',
      ).status,
      0,
    );
    const score = (dir: string) => {
      const r = fld('world', 'score', '--world', world, '--labels', join(out, dir, 'labels'), '--json');
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const exact = score('exact');
    const noisy = score('noisy');
    assert.equal(exact.boxes.f1, 1);
    assert.equal(exact.grounding.accuracy, 1);
    assert.equal(exact.ocr.cer, 0);
    assert.equal(exact.captions.detailed.precision, 1);
    assert.ok(noisy.boxes.f1 < 1 && noisy.grounding.accuracy < 1 && noisy.ocr.cer > 0);
    assert.ok(noisy.captions.detailed.precision < 1, 'hallucinated objects lower caption precision');
    assert.ok(noisy.captions.detailed.recall < 1, 'missing objects lower caption recall');
    // Rows under the engine's image ids score the same once mapped through image records by uri.
    const { readFileSync, writeFileSync, mkdirSync } = await import('node:fs');
    const hashed = join(out, 'hashed');
    mkdirSync(join(hashed, 'images'), { recursive: true });
    const ids = new Set<string>();
    for (const kind of ['region_text', 'text', 'text_phrase_region']) {
      const lines = readFileSync(join(out, 'noisy', 'labels', `${kind}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      for (const l of lines) ids.add(l.image_id);
      writeFileSync(
        join(hashed, `${kind}.jsonl`),
        lines.map((l) => JSON.stringify({ ...l, image_id: `h${l.image_id}x` })).join('\n') + '\n',
      );
    }
    writeFileSync(
      join(hashed, 'images', 'records.jsonl'),
      [...ids]
        .map((id) => JSON.stringify({ image_id: `h${id}x`, uri: `/data/${world}/collection/images/${id}.png` }))
        .join('\n') + '\n',
    );
    const mapped = fld(
      'world',
      'score',
      '--world',
      world,
      '--labels',
      hashed,
      '--images',
      join(hashed, 'images'),
      '--json',
    );
    assert.equal(mapped.status, 0, mapped.stderr);
    assert.deepEqual(JSON.parse(mapped.stdout), noisy);
    // The held-out split alone: fewer images, rows of the others not counted.
    const held = fld(
      'world',
      'score',
      '--world',
      world,
      '--labels',
      join(out, 'exact', 'labels'),
      '--split',
      'valid',
      '--valid-fraction',
      '0.3',
      '--json',
    );
    assert.equal(held.status, 0, held.stderr);
    const h = JSON.parse(held.stdout);
    assert.ok(h.images > 0 && h.images < 16 && h.ignored_rows > 0 && h.boxes.f1 === 1, held.stdout);
    const bad = fld('world', 'score', '--world', out, '--labels', join(out, 'exact', 'labels'));
    assert.notEqual(bad.status, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  } finally {
    rmSync(world, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

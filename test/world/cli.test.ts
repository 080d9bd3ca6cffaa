// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hashTree, tempDir } from './helpers.ts';

const fld = (...args: string[]) => spawnSync(process.execPath, ['bin/fld.js', ...args], { encoding: 'utf8' });

test('bad arguments give one clear line naming the problem and a non-zero exit', () => {
  const dir = tempDir('cli');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  try {
    const cases: [string[], RegExp][] = [
      [['--out', join(dir, 'w1'), '--images', '-3'], /--images must be a whole number of at least 1, got -3/],
      [['--out', join(dir, 'w2'), '--images', 'ten'], /--images must be a number, got "ten"/],
      [['--out', join(dir, 'w3'), '--images', '2', '--seed', '-1'], /--seed must be a whole number/],
      [
        ['--out', join(dir, 'w4'), '--images', '2', '--word-probability', '1.5'],
        /--word-probability must be between 0 and 1/,
      ],
      [['--out', join(file, 'world'), '--images', '2'], /cannot write to --out .*a-file\/world/],
    ];
    for (const [args, message] of cases) {
      const r = fld('world', 'generate', ...args);
      assert.notEqual(r.status, 0, args.join(' '));
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0], message);
      assert.match(lines[0], /^fld: world generate: /);
    }
    assert.ok(!existsSync(join(dir, 'w1')), 'nothing written on a bad argument');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('world generate writes a world and reports it as JSON', () => {
  const dir = tempDir('cli');
  try {
    const r = fld('world', 'generate', '--out', join(dir, 'w'), '--images', '3', '--seed', '9', '--json');
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.images, 3);
    assert.ok(
      existsSync(join(dir, 'w', 'collection', 'images', '000002.png')) &&
        existsSync(join(dir, 'w', 'truth', 'world.json')),
    );
    // A rerun of the same world is idempotent: same files, same bytes.
    const before = hashTree(join(dir, 'w'));
    assert.equal(fld('world', 'generate', '--out', join(dir, 'w'), '--images', '3', '--seed', '9').status, 0);
    assert.deepEqual([...hashTree(join(dir, 'w')).entries()], [...before.entries()]);
    const again = fld('world', 'generate', '--out', join(dir, 'w'), '--images', '3', '--seed', '10');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already holds another world/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

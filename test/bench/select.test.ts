// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { selectBenches } from '../../bench/select.ts';

const files = readdirSync(new URL('../../bench/', import.meta.url));

test('an exact benchmark name runs that benchmark alone, even when it is part of other names', () => {
  assert.ok(
    files.includes('ocr-world.bench.ts') && files.includes('florence2-demo-equality.bench.ts'),
    'the names that collide exist',
  );
  assert.deepEqual(selectBenches(files, ['world']), ['world.bench.ts']);
  assert.deepEqual(selectBenches(files, ['demo']), ['demo.bench.ts']);
  assert.deepEqual(selectBenches(files, ['filters', 'world']), ['filters.bench.ts', 'world.bench.ts']);
});

test('any other argument selects by substring; none selects all; helpers that are not benchmarks never run', () => {
  assert.deepEqual(selectBenches(files, ['parquet']), ['parquet-read.bench.ts', 'parquet-writers.bench.ts']);
  assert.deepEqual(selectBenches(files, ['-world']), ['ocr-world.bench.ts', 'train-world.bench.ts']);
  const all = selectBenches(files, []);
  assert.ok(all.length > 10 && all.every((f) => f.endsWith('.bench.ts')));
  assert.ok(!all.includes('select.ts') && !all.includes('run.ts'));
  assert.deepEqual(selectBenches(files, ['no-such-bench']), []);
});

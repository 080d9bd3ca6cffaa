// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { GENERATE_DEFAULTS, makeImage } from '../../demo/world/generate.ts';
import { writeParquet } from '../../demo/world/parquet.ts';
import { emptyTruth, TRUTH_TABLES, type Truth } from '../../demo/world/truth.ts';
import { truthDir, writeTruth } from '../../demo/world/truth-store.ts';
import { SCHEMA_VERSION } from '../../schemas/version.ts';
import { tempDir } from './helpers.ts';

// The world's tables as DuckDB read them when DuckDB itself wrote them: the engine's writer must give the same.
const TYPES: Record<(typeof TRUTH_TABLES)[number], string> = {
  images:
    'image_id VARCHAR, uri VARCHAR, width INTEGER, height INTEGER, background_tone VARCHAR, background_pattern VARCHAR, background_period INTEGER, background_direction INTEGER, clutter INTEGER',
  objects:
    'image_id VARCHAR, object_id VARCHAR, category VARCHAR, colour VARCHAR, size VARCHAR, box DOUBLE[], cx DOUBLE, cy DOUBLE, radius DOUBLE, angle DOUBLE, z INTEGER, occluded DOUBLE',
  words:
    'image_id VARCHAR, word_id VARCHAR, text VARCHAR, colour VARCHAR, font_size INTEGER, angle DOUBLE, quad DOUBLE[], box DOUBLE[]',
  relations: 'image_id VARCHAR, subject VARCHAR, predicate VARCHAR, object VARCHAR',
  captions: 'image_id VARCHAR, text_id VARCHAR, granularity VARCHAR, text VARCHAR',
  phrases: 'image_id VARCHAR, text_id VARCHAR, granularity VARCHAR, phrase VARCHAR, span INTEGER[], refs VARCHAR[]',
};

async function duck() {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  return {
    rows: async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    close: () => (conn.closeSync(), instance.closeSync()),
  };
}

test("DuckDB reads the world's truth tables back as the rows written, with the column types they always had", async () => {
  const out = tempDir('truth-parquet');
  const db = await duck();
  try {
    const o = { ...GENERATE_DEFAULTS, out, images: 10, seed: 5, workers: 1, wordProbability: 0.9 };
    mkdirSync(join(out, 'collection', 'images'), { recursive: true });
    mkdirSync(truthDir(out), { recursive: true });
    const truth = emptyTruth();
    for (let i = 0; i < o.images; i++) {
      const part = makeImage(o, i).truth;
      for (const t of TRUTH_TABLES) (truth[t] as unknown[]).push(...(part[t] as unknown[]));
    }
    await writeTruth(out, truth);
    for (const table of TRUTH_TABLES) {
      const file = join(truthDir(out), `${table}.parquet`);
      const types = await db.rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
      assert.equal(types.map((c) => `${c.column_name} ${c.column_type}`).join(', '), TYPES[table], table);
      const back = await db.rows(`SELECT * FROM read_parquet('${file}')`);
      const columns = types.map((c) => String(c.column_name));
      const written = (truth[table] as Truth[typeof table][number][]).map((r) =>
        Object.fromEntries(columns.map((c) => [c, (r as unknown as Record<string, unknown>)[c] ?? null])),
      );
      assert.ok(written.length > 0, `${table} has rows`);
      assert.deepEqual(back, written, table);
      const meta = await db.rows(
        `SELECT decode(value) AS v FROM parquet_kv_metadata('${file}') WHERE decode(key) = 'schema_version'`,
      );
      assert.deepEqual(meta, [{ v: String(SCHEMA_VERSION) }]);
    }
  } finally {
    db.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('nulls, an empty table and an unknown column type', async () => {
  const out = tempDir('parquet-edge');
  const db = await duck();
  try {
    const columns = [
      { name: 's', type: 'VARCHAR' },
      { name: 'n', type: 'INTEGER' },
      { name: 'd', type: 'DOUBLE[]' },
    ];
    const file = join(out, 'a.parquet');
    await writeParquet(file, columns, [{ s: 'x', n: null, d: [0.5, -1] }, { n: 3 }]);
    assert.deepEqual(await db.rows(`SELECT * FROM read_parquet('${file}')`), [
      { s: 'x', n: null, d: [0.5, -1] },
      { s: null, n: 3, d: null },
    ]);
    const empty = join(out, 'empty.parquet');
    await writeParquet(empty, columns, []);
    assert.deepEqual(await db.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${empty}')`), [{ n: 0 }]);
    await assert.rejects(writeParquet(file, [{ name: 'b', type: 'BLOB' }], []), /column type "BLOB"/);
  } finally {
    db.close();
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * `fld stats` over a synthetic collection (FLD_BENCH_IMAGES images, default 5,000, in 4 shards:
 * per image 3 texts, 6 regions, 23 phrase-region rows); round 1 = round 0 with the rows of 5% of the
 * images removed and those of 10% rescored. Anchor: one DuckDB scan reading every column of the same shards once, so the ratio
 * says how many "reads of the data" the tables cost. Plots are anchored on the tables' time.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { layout } from '../pipeline/layout.ts';
import { spatialPlots } from '../pipeline/stats/plots.ts';
import { computeRoundStats } from '../pipeline/stats/round-stats.ts';
import { SCHEMA_VERSION } from '../schemas/version.ts';

const N = Number(process.env.FLD_BENCH_IMAGES ?? 5000);
const SHARDS = 4;
const root = mkdtempSync(join(tmpdir(), 'fld-stats-bench-'));
const conn = await (await DuckDBInstance.create(':memory:')).connect();

const G = `['brief', 'detailed', 'more_detailed'][g + 1]`;
const words = (n: string) => `array_to_string(list_transform(range((${n})::BIGINT), x -> 'word'), ' ')`;
const SELECT: Record<string, string> = {
  images: `SELECT 'img' || i AS image_id, 'file:///x/' || i AS uri, 640 AS width, 480 AS height, 'bench' AS collection, (i % ${SHARDS})::INTEGER AS shard,
    NULL::VARCHAR AS alt_text, []::STRUCT(granularity VARCHAR, text VARCHAR)[] AS existing_texts,
    []::STRUCT(box DOUBLE[], category VARCHAR)[] AS existing_boxes, NULL::VARCHAR AS error FROM range(${N}) r(i)`,
  text: `SELECT 'img' || i AS image_id, 0 AS round, 't' || i || '-' || g AS text_id, ${G} AS granularity,
    ${words('[8, 32, 70][g + 1] + hash(i, g) % 5')} AS text, 'captioner@1' AS source, NULL::DOUBLE AS score, ['captioner@1'] AS sources,
    (1 + hash(i, g) % (4 * (g + 1)))::INTEGER AS objects, (hash(i, g, 1) % 5)::INTEGER AS attributes, (hash(i, g, 2) % (3 * g + 1))::INTEGER AS actions,
    (hash(i, g, 3) % 2)::INTEGER AS proper_nouns, 2.0 + g AS object_complexity, 1.0 + g AS action_complexity
    FROM range(${N}) r(i), range(3) q(g)`,
  region_text: `SELECT 'img' || i AS image_id, 0 AS round, 'r' || i || '-' || k AS region_id, CASE WHEN k = 5 THEN 'text' ELSE 'object' END AS kind,
    [x, y, x + w, y + h]::DOUBLE[] AS box, NULL::DOUBLE[] AS quad, 'thing' AS phrase, 'a small red thing' AS brief, ['a small red thing'] AS noun_chunks,
    'detector@1' AS source, 0.5 AS score, ['detector@1'] AS sources
    FROM (SELECT i, k, hash(i, k) % 500 AS x, hash(i, k, 1) % 380 AS y, 10 + hash(i, k, 2) % 130 AS w, 10 + hash(i, k, 3) % 90 AS h
          FROM range(${N}) r(i), range(6) q(k))`,
  text_phrase_region: `SELECT 'img' || i AS image_id, 0 AS round, 't' || i || '-' || g AS text_id, ${G} AS granularity, 'a red thing' AS phrase,
    [k * 4, k * 4 + 3]::INTEGER[] AS span, [[x, y, x + w, y + h]]::DOUBLE[][] AS boxes, 'grounding@1' AS source, 0.7 AS score, ['grounding@1'] AS sources
    FROM (SELECT i, g, k, hash(i, k) % 400 AS x, hash(i, k, 1) % 300 AS y, 20 + hash(i, k, 2) % 240 AS w, 20 + hash(i, k, 3) % 180 AS h
          FROM range(${N}) r(i), range(3) q(g), range(10) s(k) WHERE k < [3, 10, 10][g + 1])`,
};

async function write(key: string, select: string, kind: string): Promise<void> {
  const path = join(root, key);
  mkdirSync(dirname(path), { recursive: true });
  await conn.run(
    `COPY (${select}) TO '${path}' (FORMAT parquet, KV_METADATA {schema_version: '${SCHEMA_VERSION}', kind: '${kind}'})`,
  );
}

const t0 = performance.now();
for (let s = 0; s < SHARDS; s++) {
  const mine = `WHERE hash(image_id) % ${SHARDS} = ${s}`;
  await write(layout.images('bench', s), `SELECT * FROM (${SELECT.images}) ${mine}`, 'image');
  for (const kind of ['text', 'region_text', 'text_phrase_region'] as const) {
    await write(layout.kind('bench', 0, kind, s), `SELECT * FROM (${SELECT[kind]}) ${mine}`, kind);
    // Round 1: 5% of images lose their rows, 10% have theirs rescored.
    await write(
      layout.kind('bench', 1, kind, s),
      `SELECT * REPLACE (1 AS round, CASE WHEN hash(image_id, 3) % 10 = 0 THEN 0.99 ELSE score END AS score)
      FROM (${SELECT[kind]}) ${mine} AND hash(image_id, 7) % 20 <> 0`,
      kind,
    );
  }
}
console.log(`synthetic collection: ${N} images, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await f();
  return [(performance.now() - t) / 1000, v];
}
const scan = (round: number) =>
  conn.run(`SELECT count(*), sum(len(image_id)), sum(len(source)), sum(coalesce(score, 0)) FROM (
  SELECT image_id, source, score FROM read_parquet('${root}/bench/round-${round}/text/*.parquet') WHERE len(text) >= 0 AND objects >= 0
  UNION ALL SELECT image_id, source, score FROM read_parquet('${root}/bench/round-${round}/region_text/*.parquet') WHERE len(box) >= 0 AND len(phrase) >= 0
  UNION ALL SELECT image_id, source, score FROM read_parquet('${root}/bench/round-${round}/text_phrase_region/*.parquet') WHERE len(boxes) >= 0 AND len(phrase) >= 0)`);

const [anchor] = await time(() => scan(0));
const [anchor2] = await time(async () => {
  await scan(0);
  await scan(1);
});
const [tables, stats] = await time(() => computeRoundStats({ root, round: 0 }));
const [diffT] = await time(() => computeRoundStats({ root, round: 1, diff: 0 }));
const [plotsT, plots] = await time(() => spatialPlots(stats.spatial));
const rows = stats.overview.text + stats.overview.region_text + stats.overview.text_phrase_region;

const fmt = (s: number) => `${s.toFixed(2)} s`;
console.log(`\nfigure | anchor | ratio`);
console.log(
  `tables of round 0 (${rows} rows): ${fmt(tables)} | one scan of round 0's shards: ${fmt(anchor)} | ${(tables / anchor).toFixed(1)}`,
);
console.log(
  `tables + --diff 0 of round 1: ${fmt(diffT)} | one scan of both rounds: ${fmt(anchor2)} | ${(diffT / anchor2).toFixed(1)}`,
);
console.log(
  `3 Figure-5 PNGs (${plots.map((p) => p.png.length).join(' + ')} bytes): ${fmt(plotsT)} | tables of round 0: ${fmt(tables)} | ${(plotsT / tables).toFixed(2)}`,
);
rmSync(root, { recursive: true, force: true });

// @part integration
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalStorage } from '../../pipeline/storage/local.ts';
import { S3Storage } from '../../pipeline/storage/s3.ts';
import { layout } from '../../pipeline/layout.ts';
import { writeShard } from '../../pipeline/shards/storage-io.ts';
import { writeManifest } from '../../pipeline/shards/round-files.ts';
import { splitFor } from '../../pipeline/export/draw.ts';
import { parseRegionText, parseTaskOutput } from '../../schemas/florence2-parse.ts';
import { dequantiseBox, quantiseBox } from '../../schemas/loc-codec.ts';
import { locRuns } from '../../schemas/florence2-tokens.ts';
import { fld } from '../stats/run-fld.ts';
import { hashTree } from '../world/helpers.ts';
import { startS3rver } from '../helpers/s3rver.ts';
import {
  COLLECTION,
  EXPECTED_PER_TASK,
  EXPECTED_ROWS,
  EXPECTED_ROWS_PER_IMAGE,
  tempDir,
  writeFixtureRound,
  type Fixture,
} from './fixture-round.ts';

let dir = '';
let root = '';
let fx: Fixture;
before(async () => {
  dir = tempDir('export');
  root = join(dir, 'store');
  fx = await writeFixtureRound(new LocalStorage(root), join(dir, 'images'));
  // Two splits with 5 images: half and half, drawn from the seed.
  writeFileSync(
    join(dir, 'fld.config.json'),
    JSON.stringify({ export: { seed: 7, splits: { train: 0.5, valid: 0.5 } } }),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cfg = () => ['--config', join(dir, 'fld.config.json')];
const base = () => ['export', '--round', '0', '--collection', COLLECTION, '--root', root, ...cfg()];

async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

interface Row {
  image: { bytes: Uint8Array | null; path: string };
  task: string;
  prefix: string;
  suffix: string;
  split: string;
}

const imageByName = (name: string) => Object.values(fx.images).find((im) => name.startsWith(im.id))!;
const near = (a: readonly number[], b: readonly number[], w: number, h: number) =>
  a.every((v, i) => Math.abs(v - b[i]) <= (i % 2 === 0 ? w : h) / 1000);

/** Every suffix parsed back with the canonical parser gives the original boxes, each within one bin. */
function checkRoundTrip(r: Row, name: string): void {
  const im = imageByName(name);
  const size = { width: im.width, height: im.height };
  const id = im.id;
  const objects = fx.region_text.filter((x) => x.image_id === id && x.kind === 'object');
  const matchAll = (got: { label: string; box: number[] }[], want: { label: string; box: number[] }[]) => {
    assert.equal(got.length, want.length, `${r.task} ${name}: ${r.suffix}`);
    for (const g of got)
      assert.ok(
        want.some((w) => w.label === g.label && near(w.box, g.box, im.width, im.height)),
        `${r.task} ${name}: ${g.label} ${g.box}`,
      );
  };
  const parsed = parseTaskOutput(r.suffix, r.task, size);
  switch (r.task) {
    case '<OD>':
    case '<DENSE_REGION_CAPTION>': {
      assert.ok(parsed.type === 'description_with_bboxes');
      assert.equal(parsed.ignored, 0);
      const want = objects
        .filter((o) => r.task === '<OD>' || o.brief)
        .map((o) => ({ label: r.task === '<OD>' ? o.phrase : o.brief!, box: o.box }));
      matchAll(
        parsed.boxes.map((b, i) => ({ label: parsed.labels[i], box: b })),
        want,
      );
      break;
    }
    case '<CAPTION_TO_PHRASE_GROUNDING>': {
      assert.ok(parsed.type === 'phrase_grounding');
      const want = fx.text_phrase_region
        .filter((p) => p.image_id === id)
        .flatMap((p) => p.boxes.map((b) => ({ label: p.phrase, box: b })));
      matchAll(
        parsed.boxes.map((b, i) => ({ label: parsed.labels[i], box: b })),
        want,
      );
      const brief = fx.text.find((t) => t.image_id === id && t.granularity === 'brief')!;
      assert.equal(r.prefix, `<CAPTION_TO_PHRASE_GROUNDING>${brief.text}`);
      break;
    }
    case '<OCR_WITH_REGION>': {
      assert.ok(parsed.type === 'ocr');
      const want = fx.region_text
        .filter((x) => x.image_id === id && x.kind === 'text')
        .map((x) => ({ label: x.phrase, box: x.quad! as number[] }));
      matchAll(
        parsed.quads.map((q, i) => ({ label: parsed.labels[i], box: q })),
        want,
      );
      break;
    }
    case '<REGION_TO_DESCRIPTION>': {
      const { runs } = locRuns(r.prefix);
      assert.equal(runs.length, 1);
      const box = dequantiseBox(runs[0].bins, size);
      const o = objects.find((x) => x.brief && near(x.box, box, im.width, im.height));
      assert.ok(o, `region ${box} is one of the image's objects`);
      assert.deepEqual(runs[0].bins, quantiseBox(o.box, size));
      assert.equal(parseRegionText(r.suffix, size).text, o.brief);
      break;
    }
    default: {
      const g = { '<CAPTION>': 'brief', '<DETAILED_CAPTION>': 'detailed', '<MORE_DETAILED_CAPTION>': 'more_detailed' }[
        r.task
      ];
      assert.ok(g, `unexpected task ${r.task}`);
      assert.equal(r.suffix, fx.text.find((t) => t.image_id === id && t.granularity === g)!.text);
    }
  }
}

test('fld export writes Parquet shards DuckDB reads with the expected columns, rows counted by hand, suffixes that parse back within one bin', async () => {
  const r = await fld([...base(), '--rows-per-shard', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.rows.total, EXPECTED_ROWS);
  assert.deepEqual(
    summary.rows.per_task,
    Object.fromEntries(Object.entries(EXPECTED_PER_TASK).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  assert.match(summary.warnings.join(), /round 0 has no _manifest\.json/);
  assert.deepEqual(summary.images, { exported: 4, skipped: { 'a stage failed on the image (round errors)': 1 } });

  // Rows per split, from the split each image draws (the image's row count is by hand).
  const perSplit: Record<string, number> = {};
  for (const [k, n] of Object.entries(EXPECTED_ROWS_PER_IMAGE)) {
    const s = splitFor(fx.images[k].id, { train: 0.5, valid: 0.5, test: 0 }, 7);
    perSplit[s] = (perSplit[s] ?? 0) + n;
  }
  assert.deepEqual(summary.rows.per_split, perSplit);
  const expectKeys = Object.entries(perSplit)
    .flatMap(([s, n]) => Array.from({ length: Math.ceil(n / 3) }, (_, i) => layout.exportShard(COLLECTION, 0, s, i)))
    .sort();
  assert.deepEqual(summary.files.map((f: { key: string }) => f.key).sort(), expectKeys);
  assert.ok(existsSync(join(root, layout.exportPrefix(COLLECTION, 0), '_export.json')));

  const glob = `'${join(root, layout.exportPrefix(COLLECTION, 0))}*.parquet'`;
  const cols = await duck<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${glob})`);
  assert.deepEqual(
    cols.map((c) => [c.column_name, c.column_type]),
    [
      ['image', 'STRUCT(bytes BLOB, path VARCHAR)'],
      ['task', 'VARCHAR'],
      ['prefix', 'VARCHAR'],
      ['suffix', 'VARCHAR'],
      ['split', 'VARCHAR'],
    ],
  );
  const counts = await duck<{ task: string; n: bigint }>(
    `SELECT task, count(*) AS n FROM read_parquet(${glob}) GROUP BY task`,
  );
  assert.deepEqual(Object.fromEntries(counts.map((c) => [c.task, Number(c.n)])), EXPECTED_PER_TASK);
  const rows = await duck<Row>(`SELECT * FROM read_parquet(${glob})`);
  assert.equal(rows.length, EXPECTED_ROWS);
  for (const row of rows) {
    const im = imageByName(row.image.path);
    assert.equal(row.image.path, `${im.id}.png`);
    assert.deepEqual(Buffer.from(row.image.bytes!), readFileSync(im.file), 'embedded bytes are the image file');
    assert.equal(row.split, splitFor(im.id, { train: 0.5, valid: 0.5, test: 0 }, 7));
    assert.ok(row.prefix.startsWith(row.task));
    checkRoundTrip(row, row.image.path);
  }
  const hf = await duck<{ v: string }>(
    `SELECT decode(value) AS v FROM parquet_kv_metadata(${glob}) WHERE decode(key) = 'huggingface' LIMIT 1`,
  );
  assert.equal(JSON.parse(hf[0].v).info.features.image._type, 'Image');
});

test('two exports of the same round and seed are byte-identical; a re-export with bigger shards removes the stale ones', async () => {
  const a = join(dir, 'det-a');
  const b = join(dir, 'det-b');
  for (const out of [a, b]) assert.equal((await fld([...base(), '--rows-per-shard', '2', '--out', out])).code, 0);
  const ha = hashTree(a);
  assert.ok(ha.size > 3);
  assert.deepEqual(ha, hashTree(b));
  // Another seed moves images between splits: the output differs.
  const c = join(dir, 'det-c');
  assert.equal((await fld([...base(), '--rows-per-shard', '2', '--seed', '8', '--out', c])).code, 0);
  assert.notDeepEqual(hashTree(c), ha);
  const r = await fld([...base(), '--rows-per-shard', '100', '--out', a, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const names = readdirSync(a).sort();
  assert.deepEqual(names, [...JSON.parse(r.stdout).files.map((f: { key: string }) => f.key), '_export.json'].sort());
  assert.ok(names.every((n) => n === '_export.json' || /-00000\.parquet$/.test(n)));
});

test('JSONL export: annotations.jsonl per split, read line by line, with the image files beside it; --no-embed writes URIs', async () => {
  const out = join(dir, 'jsonl');
  const r = await fld([...base(), '--format', 'jsonl', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  let lines = 0;
  for (const split of readdirSync(out).filter((n) => n !== '_export.json')) {
    for (const l of readFileSync(join(out, split, 'annotations.jsonl'), 'utf8')
      .trim()
      .split('\n')) {
      const j = JSON.parse(l);
      assert.deepEqual(Object.keys(j).sort(), ['image', 'prefix', 'suffix', 'task']);
      const im = imageByName(j.image);
      assert.deepEqual(readFileSync(join(out, split, j.image)), readFileSync(im.file));
      checkRoundTrip({ ...j, image: { bytes: null, path: j.image }, split }, j.image);
      lines++;
    }
  }
  assert.equal(lines, EXPECTED_ROWS);
  assert.equal(JSON.parse(r.stdout).image_files, 4);

  const uriOut = join(dir, 'no-embed');
  assert.equal((await fld([...base(), '--no-embed', '--out', uriOut])).code, 0);
  const rows = await duck<Row>(`SELECT * FROM read_parquet('${uriOut}/*.parquet')`);
  assert.equal(rows.length, EXPECTED_ROWS);
  for (const row of rows) {
    assert.equal(row.image.bytes, null);
    assert.ok(
      Object.values(fx.images).some((im) => im.file === row.image.path),
      row.image.path,
    );
  }
});

test('export to S3 (s3rver on loopback): the shards and _export.json land under the prefix and read back; a round stored on S3 exports too', async () => {
  const s3 = await startS3rver();
  const env = { ...process.env, ...s3.env };
  try {
    const r = await fld([...base(), '--out', `s3://${s3.bucket}/exports/r0`, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const keys: string[] = [];
    for await (const k of s3.storage.list('exports/r0/')) keys.push(k);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(
      keys.sort(),
      [...summary.files.map((f: { key: string }) => `exports/r0/${f.key}`), 'exports/r0/_export.json'].sort(),
    );
    const local = join(dir, 's3-copy');
    mkdirSync(local);
    for (const k of keys.filter((k) => k.endsWith('.parquet')))
      writeFileSync(join(local, k.split('/').pop()!), await s3.storage.get(k));
    const n = await duck<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${local}/*.parquet')`);
    assert.equal(Number(n[0].n), EXPECTED_ROWS);

    const store = new S3Storage({ ...s3.options, prefix: 'store' });
    await writeFixtureRound(store, join(dir, 'images-s3'));
    await store.close();
    const onS3 = await fld(
      [
        'export',
        '--round',
        '0',
        '--collection',
        COLLECTION,
        '--storage',
        `s3://${s3.bucket}/store`,
        ...cfg(),
        '--json',
      ],
      env,
    );
    assert.equal(onS3.code, 0, onS3.stderr);
    const s = JSON.parse(onS3.stdout);
    assert.equal(s.rows.total, EXPECTED_ROWS);
    assert.equal(s.out, `s3://${s3.bucket}/store/${layout.exportPrefix(COLLECTION, 0)}`);
    for (const f of s.files) assert.ok(await s3.storage.exists(`store/${f.key}`), f.key);
  } finally {
    await s3.close();
  }
});

test('bad input is one line and exit code 2: a missing round, an empty round, an unknown format, an unreadable image', async () => {
  const store = new LocalStorage(root);
  await writeShard(store, layout.images('broken', 0), 'image', [
    {
      image_id: 'gone',
      uri: join(dir, 'gone.png'),
      width: 10,
      height: 10,
      collection: 'broken',
      shard: 0,
      alt_text: null,
      existing_texts: [],
      existing_boxes: [],
      error: null,
    },
  ]);
  await writeShard(
    store,
    layout.kind('broken', 0, 'text', 0),
    'text',
    fx.text.slice(0, 1).map((t) => ({ ...t, image_id: 'gone' })),
  );
  await writeShard(store, layout.images('partial', 0), 'image', []);
  await writeShard(store, layout.kind('partial', 0, 'text', 0), 'text', []);
  await writeManifest(store, {
    collection: 'partial',
    round: 0,
    created_at: new Date(0).toISOString(),
    config: {},
    models: [],
    shards: [0, 1],
    counts: { text: 1, region_text: 0, text_phrase_region: 0, errors: 0 },
    files: [],
  });
  const cases: [string[], RegExp][] = [
    [['--round', '0', '--collection', 'partial'], /manifest lists shard\(s\) 1 that have no files/],
    [['--round', '5'], /round 5 of collection "demo" does not exist/],
    [['--round', '1'], /round 1 of collection "demo" is empty/],
    [['--round', 'x'], /--round must be a whole number >= 0, got "x"/],
    [['--round', '0', '--format', 'csv'], /--format must be parquet or jsonl, got "csv"/],
    [['--round', '0', '--collection', 'broken'], /image gone \(.*gone\.png\) cannot be read: ENOENT/],
  ];
  for (const [args, re] of cases) {
    const r = await fld(['export', '--collection', COLLECTION, '--root', root, ...cfg(), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

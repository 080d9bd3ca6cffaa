/**
 * `fld export` throughput on a synthetic round (sharp-made 256x256 PNGs; per image 6 objects with
 * briefs, one OCR line, 3 captions, 2 grounded phrases: 8 rows), against the floor it cannot go
 * below measured in the same run: reading the same shards and image bytes without building or
 * writing anything. Peak RSS shows the memory bound (one input shard + one output shard of rows).
 * `node --import tsx bench/export.bench.ts --images 2000 --shard 500 --rows-per-shard 1000`
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { exportRound } from '../pipeline/export/export-round.ts';
import { ImageSource } from '../pipeline/storage/image-source.ts';
import { readForExport } from '../pipeline/export/image-bytes.ts';
import { locateRound, readShardInput } from '../pipeline/export/round-input.ts';
import { layout } from '../pipeline/layout.ts';
import { writeShard } from '../pipeline/shards/storage-io.ts';
import { LocalStorage } from '../pipeline/storage/local.ts';
import { ExportConfig } from '../schemas/export-config.ts';
import type { ImageRecord, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../schemas/records.ts';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg('--images', 2000);
const SHARD = arg('--shard', 500);
const ROWS = arg('--rows-per-shard', 1000);

const work = mkdtempSync(join(tmpdir(), 'fld-export-bench-'));
const storage = new LocalStorage(join(work, 'store'));
const prov = (source: string) => ({ round: 0, source, score: 0.8, sources: [source] });
try {
  const c = 'bench';
  for (let s = 0; s * SHARD < N; s++) {
    const images: ImageRecord[] = [];
    const rt: RegionTextRecord[] = [];
    const tx: TextRecord[] = [];
    const tpr: TextPhraseRegionRecord[] = [];
    for (let i = s * SHARD; i < Math.min(N, (s + 1) * SHARD); i++) {
      const id = `img${String(i).padStart(13, '0')}`;
      const file = join(work, `${id}.png`);
      writeFileSync(
        file,
        await sharp({
          create: {
            width: 256,
            height: 256,
            channels: 3,
            background: { r: i % 255, g: (i * 7) % 255, b: (i * 13) % 255 },
          },
        })
          .png()
          .toBuffer(),
      );
      images.push({
        image_id: id,
        uri: file,
        width: 256,
        height: 256,
        collection: c,
        shard: s,
        alt_text: null,
        existing_texts: [],
        existing_boxes: [],
        error: null,
      });
      for (let k = 0; k < 6; k++) {
        const x = (i * 17 + k * 37) % 200;
        rt.push({
          image_id: id,
          region_id: `${id}-${k}`,
          kind: 'object',
          box: [x, k * 30, x + 50.5, k * 30 + 40.25],
          quad: null,
          phrase: ['car', 'dog', 'tree'][k % 3],
          brief: `a small ${['red', 'blue'][k % 2]} ${['car', 'dog', 'tree'][k % 3]}`,
          noun_chunks: [],
          ...prov('detector@1'),
        });
      }
      rt.push({
        image_id: id,
        region_id: `${id}-t`,
        kind: 'text',
        box: [10, 200, 120, 230],
        quad: [10, 200, 120, 200, 120, 230, 10, 230],
        phrase: `OPEN ${i}`,
        brief: null,
        noun_chunks: [],
        ...prov('ocr@1'),
      });
      for (const [g, t] of [
        ['brief', 'A red car near a tree'],
        ['detailed', 'A small red car is parked near a tall tree and a dog.'],
        ['more_detailed', 'The picture shows a small red car parked near a tall green tree. A dog sits beside it.'],
      ] as const) {
        tx.push({
          image_id: id,
          text_id: `${id}-${g}`,
          granularity: g,
          text: t,
          ...prov('captioner@1'),
          objects: 2,
          attributes: 1,
          actions: 0,
          proper_nouns: 0,
          object_complexity: 2,
          action_complexity: 0,
        });
      }
      tpr.push({
        image_id: id,
        text_id: `${id}-brief`,
        granularity: 'brief',
        phrase: 'A red car',
        span: [0, 9],
        boxes: [[1, 2, 50, 60]],
        ...prov('grounding@1'),
      });
      tpr.push({
        image_id: id,
        text_id: `${id}-brief`,
        granularity: 'brief',
        phrase: 'a tree',
        span: [15, 21],
        boxes: [[100, 20, 200, 250]],
        ...prov('grounding@1'),
      });
    }
    await writeShard(storage, layout.images(c, s), 'image', images);
    await writeShard(storage, layout.kind(c, 0, 'region_text', s), 'region_text', rt);
    await writeShard(storage, layout.kind(c, 0, 'text', s), 'text', tx);
    await writeShard(storage, layout.kind(c, 0, 'text_phrase_region', s), 'text_phrase_region', tpr);
  }
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return (performance.now() - t0) / 1000;
  };

  const readOnly = async () => {
    const input = await locateRound(storage, c, 0);
    const reader = new ImageSource();
    for (const s of input.shards)
      for (const im of (await readShardInput(storage, input, s)).images)
        await readForExport(reader, im.image_id, im.uri);
  };
  await readOnly(); // warm-up: JIT and the page cache, so neither side pays them
  const floor = await time(readOnly);
  const config = ExportConfig.parse({ rowsPerShard: ROWS });
  const base = peak;
  peak = 0;
  let rows = 0;
  const parquet = await time(async () => {
    rows = (await exportRound({ storage, collection: c, round: 0, format: 'parquet', embed: true, config })).rows.total;
  });
  const peakParquet = peak;
  const jsonl = await time(() =>
    exportRound({
      storage,
      collection: c,
      round: 0,
      out: { storage: new LocalStorage(join(work, 'jsonl')), prefix: '' },
      format: 'jsonl',
      embed: true,
      config,
    }),
  );
  clearInterval(timer);
  console.log(`${N} images, ${rows} rows, input shards of ${SHARD} images, ${ROWS} rows per export shard`);
  console.log('figure | anchor | ratio');
  console.log(
    `export parquet ${(rows / parquet).toFixed(0)} rows/s (${parquet.toFixed(2)} s) | read shards + image bytes only ${floor.toFixed(2)} s | ${(parquet / floor).toFixed(2)}`,
  );
  console.log(
    `export jsonl ${(rows / jsonl).toFixed(0)} rows/s (${jsonl.toFixed(2)} s) | read shards + image bytes only ${floor.toFixed(2)} s | ${(jsonl / floor).toFixed(2)}`,
  );
  console.log(
    `peak RSS during parquet export ${(peakParquet / 2 ** 20).toFixed(0)} MiB | peak RSS while reading only ${(base / 2 ** 20).toFixed(0)} MiB | ${(peakParquet / base).toFixed(2)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

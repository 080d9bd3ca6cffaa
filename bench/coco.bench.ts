/**
 * COCO instances JSON read by streaming (json-arrays.ts, two passes) against a whole-file
 * JSON.parse of the same file (the anchor; only possible under V8's ~512 MiB string limit, which
 * Objects365's file is far over). FLD_BENCH_COCO_ANN (default 1,000,000 boxes over 100,000 images).
 *   npm run bench -- coco
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CocoSource } from '../pipeline/sources/coco.ts';

const ANN = Number(process.env.FLD_BENCH_COCO_ANN ?? 1_000_000);
const IMAGES = Math.max(1, Math.floor(ANN / 10));
const dir = mkdtempSync(join(tmpdir(), 'fld-coco-bench-'));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
try {
  const file = join(dir, 'instances.json');
  const out = createWriteStream(file);
  const w = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await w('{"info": {"description": "bench"}, "images": [');
  for (let i = 0; i < IMAGES; i++)
    await w(
      `${i ? ',' : ''}{"id": ${i + 1}, "file_name": "${String(i + 1).padStart(12, '0')}.jpg", "width": 640, "height": 480}`,
    );
  await w('], "annotations": [');
  for (let j = 0; j < ANN; j++)
    await w(
      `${j ? ',' : ''}{"id": ${j + 1}, "image_id": ${(j % IMAGES) + 1}, "category_id": ${(j % 80) + 1}, "bbox": [${(j % 500) + 0.25}, 10.5, 40.75, 30], "area": 1222.5, "iscrowd": 0}`,
    );
  await w('], "categories": [');
  for (let c = 0; c < 80; c++) await w(`${c ? ',' : ''}{"id": ${c + 1}, "name": "category ${c + 1}"}`);
  await w(']}');
  out.end();
  await once(out, 'finish');
  const mb = statSync(file).size / 2 ** 20;

  let t0 = performance.now();
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { annotations: unknown[] };
  const whole = (performance.now() - t0) / 1000;
  if (doc.annotations.length !== ANN) throw new Error('bad fixture');

  t0 = performance.now();
  let boxes = 0;
  let images = 0;
  for await (const e of new CocoSource(file, { checkFiles: false }).entries()) {
    if (e.kind !== 'item') throw new Error(e.message);
    images++;
    boxes += e.existing_boxes!.length;
  }
  const streamed = (performance.now() - t0) / 1000;
  if (boxes !== ANN || images !== IMAGES) throw new Error(`read ${boxes} boxes on ${images} images`);
  console.log('figure | anchor | ratio');
  console.log(
    `stream ${mb.toFixed(0)} MiB COCO (${fmt(ANN)} boxes): ${(mb / streamed).toFixed(1)} MiB/s, ${fmt(ANN / streamed)} boxes/s | whole-file JSON.parse (no grouping): ${(mb / whole).toFixed(1)} MiB/s | ${(whole / streamed).toFixed(2)}`,
  );
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB | - | -`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Demo world speed: `npm run bench -- world` (WORLD_BENCH_IMAGES to change the 1,000).
 * Figures beside anchors measured in the same run:
 *  - generating N images (2 worker threads) vs. only PNG-encoding the same pixels with sharp (native);
 *  - our rasteriser vs. the same outlines as SVG rendered by sharp/librsvg (the rejected alternative);
 *  - fflate PNG compression (chosen: same bytes everywhere) vs. node:zlib level 6.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { zlibSync } from 'fflate';
import { GENERATE_DEFAULTS, generateWorld } from '../demo/world/generate.ts';
import { renderScene } from '../demo/world/render.ts';
import { sampleScene, type Scene } from '../demo/world/scene.ts';
import { BACKGROUND_TONES, COLOURS, WORD_COLOURS } from '../demo/world/vocab.ts';

const N = Number(process.env.WORLD_BENCH_IMAGES ?? 1000);
const SAMPLE = Math.min(N, 200);
const rows: [string, number, string, number][] = [];
const now = () => performance.now();

const out = mkdtempSync(join(tmpdir(), 'fld-world-bench-'));
try {
  let t = now();
  const cpu0 = process.cpuUsage();
  const r = await generateWorld({ out: join(out, 'world'), images: N, seed: 1, ...GENERATE_DEFAULTS, workers: 2 });
  const genS = (now() - t) / 1000;
  // process CPU covers the worker threads too; 60 s on 2 cores is 120 CPU seconds for 1,000 images
  const cpu = process.cpuUsage(cpu0);
  const genCpuS = (cpu.user + cpu.system) / 1e6;
  const budgetCpuS = (120 * N) / 1000;

  const scenes = Array.from({ length: SAMPLE }, (_, i) => sampleScene(1, i));
  const canvases = scenes.map((s) => renderScene(s, 1));
  t = now();
  for (let i = 0; i < N; i++) {
    const c = canvases[i % SAMPLE];
    writeFileSync(
      join(out, `anchor-${i}.png`),
      await sharp(Buffer.from(c.data.buffer), { raw: { width: c.width, height: c.height, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  const anchorS = (now() - t) / 1000;
  rows.push([`world generate ${N} images, 2 workers (s)`, genS, `sharp PNG-encode + write ${N} images (s)`, anchorS]);

  t = now();
  for (const s of scenes) renderScene(s, 1);
  const rasterMs = (now() - t) / SAMPLE;
  t = now();
  for (const s of scenes)
    await sharp(Buffer.from(svgOf(s)))
      .raw()
      .toBuffer();
  const svgMs = (now() - t) / SAMPLE;
  rows.push(['rasterise one scene, pure TS (ms)', rasterMs, 'same outlines as SVG via sharp/librsvg (ms)', svgMs]);

  const raws = canvases.map((c) => new Uint8Array(c.data.buffer));
  t = now();
  for (const d of raws) zlibSync(d, { level: 3, mem: 4 });
  const fflateMs = (now() - t) / SAMPLE;
  t = now();
  for (const d of raws) deflateSync(d, { level: 6 });
  const zlibMs = (now() - t) / SAMPLE;
  rows.push(['deflate one image, fflate level 3 mem 4 as png.ts (ms)', fflateMs, 'node:zlib level 6 (ms)', zlibMs]);

  const budgetMet = genCpuS <= budgetCpuS;
  console.log(
    `world: ${r.images} images, ${r.objects} objects, ${r.words} words; ${genCpuS.toFixed(1)} CPU s (wall ${genS.toFixed(1)} s) | budget 60 s on 2 cores = ${budgetCpuS.toFixed(0)} CPU s | ${budgetMet ? 'met' : 'MISSED'}`,
  );
  if (!budgetMet) process.exitCode = 1;
  console.log('figure | value | anchor | value | ratio');
  for (const [f, v, a, av] of rows)
    console.log(`${f} | ${v.toFixed(2)} | ${a} | ${av.toFixed(2)} | ${(v / av).toFixed(2)}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}

function svgOf(s: Scene): string {
  const path = (outline: number[][]) =>
    outline.map((c) => `M${c.slice(0, 2).join(' ')}L${c.slice(2).join(' ')}Z`).join('');
  const rgb = (c: readonly number[]) => `rgb(${c.map((v) => Math.round(v)).join(',')})`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}">`,
    `<rect width="100%" height="100%" fill="${rgb(BACKGROUND_TONES[s.background.tone])}"/>`,
  ];
  for (const c of s.clutter) parts.push(`<path d="${path(c.outline)}" fill="grey"/>`);
  for (const o of s.objects) parts.push(`<path d="${path(o.outline)}" fill="${rgb(COLOURS[o.colour])}"/>`);
  for (const w of s.words) parts.push(`<path d="${path(w.outline)}" fill="${rgb(WORD_COLOURS[w.colour])}"/>`);
  parts.push('</svg>');
  return parts.join('');
}

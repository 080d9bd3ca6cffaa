import { Canvas, type Rgb } from './raster.ts';
import { encodePng } from './png.ts';
import { Rng } from './rng.ts';
import type { Scene } from './scene.ts';
import { BACKGROUND_TONES, COLOURS, WORD_COLOURS } from './vocab.ts';

/** Draws a scene: background, clutter, objects in z order, then words on top. */
export function renderScene(scene: Scene, seed: number): Canvas {
  const canvas = new Canvas(scene.width, scene.height);
  const { tone, pattern, period, direction } = scene.background;
  const base = BACKGROUND_TONES[tone];
  const dark: Rgb = [base[0] * 0.88, base[1] * 0.88, base[2] * 0.88];
  const noise = Rng.forImage(seed, 'speckle', scene.index);
  const set = (out: number[], r: number, g: number, b: number) => {
    out[0] = r;
    out[1] = g;
    out[2] = b;
  };
  const mix = (out: number[], t: number) =>
    set(out, base[0] + (dark[0] - base[0]) * t, base[1] + (dark[1] - base[1]) * t, base[2] + (dark[2] - base[2]) * t);
  const span = direction ? scene.width : scene.height;
  canvas.paint((x, y, out) => {
    const along = direction ? x : y;
    switch (pattern) {
      case 'plain':
        return set(out, base[0], base[1], base[2]);
      case 'gradient':
        return mix(out, along / span);
      case 'striped':
        return Math.floor(along / period) % 2 === 0 ? mix(out, 0) : mix(out, 0.6);
      case 'checkered':
        return (Math.floor(x / period) + Math.floor(y / period)) % 2 === 0 ? mix(out, 0) : mix(out, 0.5);
      case 'speckled': {
        const d = noise.range(-10, 10);
        return set(out, base[0] + d, base[1] + d, base[2] + d);
      }
    }
  });
  for (const c of scene.clutter) canvas.fill(c.outline, [base[0] * c.shade, base[1] * c.shade, base[2] * c.shade]);
  for (const o of scene.objects) canvas.fill(o.outline, COLOURS[o.colour]);
  for (const w of scene.words) canvas.fill(w.outline, WORD_COLOURS[w.colour]);
  return canvas;
}

export function renderPng(scene: Scene, seed: number): Buffer {
  const canvas = renderScene(scene, seed);
  return encodePng(canvas.data, canvas.width, canvas.height);
}

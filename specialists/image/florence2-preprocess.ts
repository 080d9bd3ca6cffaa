import { z } from 'zod';
import { validate } from '../../schemas/validate.ts';
import type { RgbImage } from './image-decode.ts';
import { resizeRgb, type ResizeKernel } from './resize.ts';

/** The fields of a Hugging Face `preprocessor_config.json` that the Florence-2 image path uses. */
const PreprocessorConfig = z
  .object({
    do_resize: z.boolean().default(true),
    size: z.union([
      z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
      z.number().int().positive(),
    ]),
    resample: z.number().int().min(0).max(5).default(3),
    do_rescale: z.boolean().default(true),
    rescale_factor: z
      .number()
      .positive()
      .default(1 / 255),
    do_normalize: z.boolean().default(true),
    image_mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
    image_std: z
      .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
      .default([0.229, 0.224, 0.225]),
  })
  .loose();

export interface Florence2ImageConfig {
  width: number;
  height: number;
  kernel: ResizeKernel;
  resize: boolean;
  rescale: number | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
}

/** PIL resample codes (as in preprocessor_config.json) to the nearest sharp kernel. */
const KERNELS: Record<number, ResizeKernel> = {
  0: 'nearest',
  1: 'lanczos3',
  2: 'linear',
  3: 'cubic',
  4: 'linear',
  5: 'linear',
};

/** Reads size, resample, rescale, mean and std from a parsed `preprocessor_config.json`; nothing is assumed. */
export function florence2ImageConfig(json: unknown): Florence2ImageConfig {
  const c = validate(PreprocessorConfig, json, 'preprocessor_config.json');
  const size = typeof c.size === 'number' ? { width: c.size, height: c.size } : c.size;
  return {
    width: size.width,
    height: size.height,
    kernel: KERNELS[c.resample],
    resize: c.do_resize,
    rescale: c.do_rescale ? c.rescale_factor : null,
    mean: c.do_normalize ? c.image_mean : null,
    std: c.do_normalize ? c.image_std : null,
  };
}

/** Resize (aspect ratio not kept, as CLIPImageProcessor does), rescale, normalise; CHW float32. */
export async function florence2Pixels(img: RgbImage, cfg: Florence2ImageConfig): Promise<Float32Array> {
  if (!cfg.resize && (img.width !== cfg.width || img.height !== cfg.height)) {
    throw new Error(
      `image is ${img.width}x${img.height} but do_resize is false and the model takes ${cfg.width}x${cfg.height}`,
    );
  }
  const r = await resizeRgb(img, cfg.width, cfg.height, cfg.kernel);
  const plane = cfg.width * cfg.height;
  const out = new Float32Array(3 * plane);
  const scale = cfg.rescale ?? 1;
  for (let c = 0; c < 3; c++) {
    const mean = cfg.mean ? cfg.mean[c] : 0;
    const inv = cfg.std ? 1 / cfg.std[c] : 1;
    const o = c * plane;
    for (let i = 0, s = c; i < plane; i++, s += 3) out[o + i] = (r.data[s] * scale - mean) * inv;
  }
  return out;
}

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { florence2ImageConfig, florence2Pixels } from '../../../specialists/image/florence2-preprocess.ts';
import { letterbox, unletterboxBox } from '../../../specialists/image/letterbox.ts';
import { batchPadded, paddleDetInput } from '../../../specialists/image/paddle-det-preprocess.ts';

const solid = (width: number, height: number, rgb: number[]) => {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
};

test('letterbox centres the scaled image in grey 114 and the inverse maps its corners back', async () => {
  const { tensor, info } = await letterbox(solid(100, 50, [255, 0, 0]), 32);
  assert.deepEqual([info.scale, info.padX, info.padY], [0.32, 0, 8]);
  const at = (c: number, x: number, y: number) => tensor[c * 32 * 32 + y * 32 + x];
  assert.equal(at(0, 5, 3), Math.fround(114 / 255), 'padding above');
  assert.equal(at(0, 5, 8), 1, 'first image row');
  assert.equal(at(1, 5, 23), 0);
  assert.equal(at(0, 5, 24), Math.fround(114 / 255), 'padding below');
  assert.deepEqual(unletterboxBox(0, 8, 32, 24, info), [0, 0, 100, 50]);
});

test('Florence-2 preprocessing reads size, resample, rescale, mean and std from preprocessor_config.json', async () => {
  const cfg = florence2ImageConfig({
    size: { height: 256, width: 256 },
    resample: 3,
    rescale_factor: 1 / 255,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.25, 0.5, 1],
    do_normalize: true,
  });
  assert.deepEqual([cfg.width, cfg.height, cfg.kernel], [256, 256, 'cubic']);
  const t = await florence2Pixels(solid(40, 30, [255, 0, 51]), cfg);
  assert.equal(t.length, 3 * 256 * 256);
  const plane = 256 * 256;
  assert.ok(Math.abs(t[100] - (1 - 0.5) / 0.25) < 1e-5);
  assert.ok(Math.abs(t[plane + 100] - (0 - 0.5) / 0.5) < 1e-5);
  assert.ok(Math.abs(t[2 * plane + 100] - (0.2 - 0.5) / 1) < 1e-5);
  const hf = florence2ImageConfig({ size: { height: 768, width: 768 }, do_resize: true, resample: 2 });
  assert.deepEqual([hf.width, hf.kernel, hf.mean], [768, 'linear', [0.485, 0.456, 0.406]]);
  assert.throws(() => florence2ImageConfig({ resample: 3 }), /preprocessor_config.json: field "size"/);
});

test('PaddleOCR detection input: multiples of 32, longest side capped, BGR with ImageNet normalisation; batches pad bottom-right', async () => {
  const d = await paddleDetInput(solid(2000, 500, [255, 128, 0]));
  assert.deepEqual([d.width, d.height], [960, 256]);
  const plane = d.width * d.height;
  assert.ok(Math.abs(d.tensor[0] - (0 / 255 - 0.485) / 0.229) < 1e-5, 'channel 0 is blue');
  assert.ok(Math.abs(d.tensor[2 * plane] - (1 - 0.406) / 0.225) < 1e-5, 'channel 2 is red');
  const small = await paddleDetInput(solid(10, 70, [0, 0, 0]));
  assert.deepEqual([small.width, small.height], [32, 64]);
  const b = batchPadded([small, { tensor: new Float32Array(3 * 64 * 96).fill(1), width: 96, height: 64 }]);
  assert.deepEqual([b.width, b.height, b.data.length], [96, 64, 2 * 3 * 64 * 96]);
  assert.equal(b.data[40], 0, 'right of the small image is padding');
  assert.equal(b.data[3 * 64 * 96], 1);
});

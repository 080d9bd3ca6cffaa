// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage, ImageDecodeError } from '../../../specialists/image/image-decode.ts';

const px = (img: { width: number; data: Buffer }, x: number, y: number) => [
  ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
];

test('EXIF orientation is applied: width and height are those after rotation', async () => {
  // 4 wide x 2 high, left half red, right half blue; orientation 6 = rotate 90 degrees clockwise to display
  const raw = Buffer.alloc(4 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
  const jpg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
    .png()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const img = await decodeImage(jpg);
  assert.deepEqual([img.width, img.height], [2, 4]);
  assert.deepEqual(px(img, 0, 0), [255, 0, 0], 'the left (red) side is now on top');
  assert.deepEqual(px(img, 0, 3), [0, 0, 255]);
});

test('alpha is flattened on white by default, or on the configured colour', async () => {
  const png = await sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toBuffer();
  assert.deepEqual(px(await decodeImage(png), 1, 1), [255, 255, 255]);
  assert.deepEqual(px(await decodeImage(png, { background: '#102030' }), 1, 1), [16, 32, 48]);
});

test('greyscale, 16-bit and CMYK inputs come out as 8-bit RGB of the right colour', async () => {
  const grey = await sharp({ create: { width: 3, height: 3, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .greyscale()
    .png()
    .toBuffer();
  assert.deepEqual(px(await decodeImage(grey), 1, 1), [90, 90, 90]);
  const p16 = await sharp({ create: { width: 3, height: 3, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  assert.equal((await sharp(p16).metadata()).depth, 'ushort');
  assert.deepEqual(px(await decodeImage(p16), 2, 2), [200, 100, 50]);
  const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .toColourspace('cmyk')
    .jpeg({ quality: 100 })
    .toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const got = px(await decodeImage(cmyk), 4, 4);
  [200, 40, 40].forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 25, `channel ${i}: ${got[i]} vs ${v}`));
});

test('WebP and TIFF decode; SVG is refused by format; the pixel limit is configurable', async () => {
  const base = sharp({ create: { width: 5, height: 4, channels: 3, background: { r: 1, g: 2, b: 3 } } });
  for (const buf of [await base.clone().webp({ lossless: true }).toBuffer(), await base.clone().tiff().toBuffer()]) {
    const img = await decodeImage(buf);
    assert.deepEqual([img.width, img.height, img.data.length], [5, 4, 60]);
  }
  await assert.rejects(
    decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')),
    (e: Error) => e instanceof ImageDecodeError && /unsupported format svg/.test(e.message),
  );
  await assert.rejects(
    decodeImage(await base.clone().png().toBuffer(), { maxPixels: 19 }),
    /5x4 = 20 pixels, over the limit of 19/,
  );
});

test('a truncated JPEG is refused by default and decoded with failOn none', async () => {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 13) % 256;
  const jpg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg()
    .toBuffer();
  const cut = jpg.subarray(0, Math.floor(jpg.length * 0.7));
  await assert.rejects(decodeImage(cut), ImageDecodeError);
  const img = await decodeImage(cut, { failOn: 'none' });
  assert.deepEqual([img.width, img.height], [64, 64]);
});

/** `n` demo-world images (256x256 PNG, seeded) as ImageInputs, the temp folder already removed. */
import type { ImageInput } from '../specialists/adapter.ts';
import { demoWorldSample } from '../test/specialists/fixtures/demo-world-sample.ts';

export async function demoWorldImages(n: number, seed: number): Promise<ImageInput[]> {
  const s = await demoWorldSample(n, seed);
  await s.remove();
  return s.images.map(({ image_id, bytes }) => ({ image_id, bytes }));
}

import type { AdapterError, ImageInput } from './adapter.ts';
import { decodeImage, type DecodeOptions, type RgbImage } from './image/image-decode.ts';

export interface Decoded<P> {
  image_id: string;
  image: RgbImage;
  prepared: P;
}

/**
 * Decodes every image of a batch once and runs the family's preprocessing on it; an image that fails
 * either step becomes an error row naming it, the stage and the reason.
 */
export async function decodeBatch<P>(
  batch: ImageInput[],
  stagePrefix: string,
  prepare: (img: RgbImage) => Promise<P>,
  opts: DecodeOptions = {},
): Promise<{ ok: Decoded<P>[]; errors: AdapterError[] }> {
  const ok: Decoded<P>[] = [];
  const errors: AdapterError[] = [];
  await Promise.all(
    batch.map(async (item) => {
      let image: RgbImage;
      try {
        image = await decodeImage(item.bytes, opts);
      } catch (e) {
        errors.push({
          image_id: item.image_id,
          stage: `${stagePrefix}:decode`,
          message: `image ${item.image_id}: ${(e as Error).message}`,
        });
        return;
      }
      try {
        ok.push({ image_id: item.image_id, image, prepared: await prepare(image) });
      } catch (e) {
        errors.push({
          image_id: item.image_id,
          stage: `${stagePrefix}:preprocess`,
          message: `image ${item.image_id}: ${(e as Error).message}`,
        });
      }
    }),
  );
  // Keep the caller's order so rows are deterministic.
  const order = new Map(batch.map((b, i) => [b.image_id, i]));
  ok.sort((a, b) => order.get(a.image_id)! - order.get(b.image_id)!);
  errors.sort((a, b) => order.get(a.image_id)! - order.get(b.image_id)!);
  return { ok, errors };
}

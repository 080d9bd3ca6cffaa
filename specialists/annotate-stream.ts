import type { AdapterResult, ImageInput, SpecialistAdapter } from './adapter.ts';
import { prefetchBatches } from './prefetch.ts';

/** An adapter whose decode/preprocess step can run apart from its inference step. */
export interface PreparingAdapter<P> extends SpecialistAdapter {
  prepare(batch: ImageInput[]): Promise<P>;
  run(prepared: P): Promise<AdapterResult>;
}

/**
 * Annotates a stream of images in mini-batches, decoding batch i+1 while batch i is in inference
 * (ORT runs off the JS thread, sharp on libvips threads). Yields one result per mini-batch.
 */
export async function* annotateStream<P>(
  adapter: PreparingAdapter<P>,
  images: Iterable<ImageInput> | AsyncIterable<ImageInput>,
  batchSize: number,
): AsyncGenerator<AdapterResult> {
  for await (const prepared of prefetchBatches(images, batchSize, (b) => adapter.prepare(b))) {
    yield await adapter.run(prepared);
  }
}

/**
 * Runs `prepare` on batch i+1 while the consumer works on batch i, so decoding (libvips threads)
 * overlaps inference (ORT threads). At most `depth` prepared batches wait ahead of the consumer.
 */
export async function* prefetchBatches<T, P>(
  items: Iterable<T> | AsyncIterable<T>,
  batchSize: number,
  prepare: (batch: T[]) => Promise<P>,
  depth = 1,
): AsyncGenerator<P> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new Error(`batchSize must be an integer >= 1 (got ${batchSize})`);
  const pending: Promise<P>[] = [];
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === batchSize) {
      pending.push(settleLater(prepare(batch)));
      batch = [];
      while (pending.length > depth) yield await pending.shift()!;
    }
  }
  if (batch.length) pending.push(settleLater(prepare(batch)));
  while (pending.length) yield await pending.shift()!;
}

/** Stops a rejection of a batch that is still queued from being reported as unhandled before we await it. */
function settleLater<P>(p: Promise<P>): Promise<P> {
  p.catch(() => {});
  return p;
}

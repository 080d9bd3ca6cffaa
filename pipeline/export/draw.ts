import { createHash } from 'node:crypto';

/**
 * A seeded, order-free draw in [0, 1) from the seed and a few strings (sha256, first 48 bits): the same
 * image gets the same split and the same task-mix draw in every round and on every machine, whatever
 * else is in the collection.
 */
export function draw(seed: number, ...parts: string[]): number {
  const h = createHash('sha256')
    .update(`${seed}\u0000${parts.join('\u0000')}`)
    .digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** The split of an image: cumulative fractions in the order given (e.g. train, valid, test). */
export function splitFor(image_id: string, fractions: Readonly<Record<string, number>>, seed: number): string {
  const u = draw(seed, 'split', image_id);
  let acc = 0;
  const entries = Object.entries(fractions).filter(([, f]) => f > 0);
  for (const [name, f] of entries) {
    acc += f;
    if (u < acc) return name;
  }
  return entries[entries.length - 1][0];
}

/**
 * How many decoded pixels an annotate job holds at once (config `decodeBudgetMB`): a mini-batch is
 * decoded whole, and the next one is decoded while the model runs the current one, so each batch
 * gets half of the budget. A batch whose images' headers declare more is split into groups that fit,
 * decoded and run one after another; an image that alone needs more than half is not decoded at all
 * (an error row naming it). Decoded RGB is 3 bytes a pixel.
 */
export const RGB_BYTES_PER_PIXEL = 3;

export interface Sized<T> {
  item: T;
  /** Declared width x height; null: unreadable header (the decode reports it), counted as nothing. */
  size: { width: number; height: number } | null;
}

/** Bytes one batch may decode: half the job's budget. */
export const batchBudgetBytes = (budgetMB: number): number => Math.floor((budgetMB * 1024 * 1024) / 2);

export const decodedBytes = (size: { width: number; height: number } | null): number =>
  size ? size.width * size.height * RGB_BYTES_PER_PIXEL : 0;

/** Groups in order, each within `budget` bytes decoded; `over`: items that alone exceed it. */
export function groupByDecodedBytes<T>(
  items: readonly Sized<T>[],
  budget: number,
): { groups: T[][]; over: Sized<T>[] } {
  const groups: T[][] = [];
  const over: Sized<T>[] = [];
  let current: T[] = [];
  let used = 0;
  for (const s of items) {
    const b = decodedBytes(s.size);
    if (b > budget) {
      over.push(s);
      continue;
    }
    if (current.length && used + b > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(s.item);
    used += b;
  }
  if (current.length) groups.push(current);
  return { groups, over };
}

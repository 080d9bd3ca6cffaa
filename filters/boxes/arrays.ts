/**
 * Boxes as typed arrays: `xyxy` holds n boxes as [x0, y0, x1, y1] in absolute pixels, `scores` and
 * `labels` one entry each. Filters take and return these so that a shard's boxes are never objects.
 */
export interface BoxArrays {
  xyxy: Float32Array | Float64Array;
  scores: Float32Array | Float64Array;
  /** Category ids; all 0 when the source has no categories. */
  labels: Int32Array;
}

export function count(b: BoxArrays): number {
  return b.scores.length;
}

/** Builds box arrays from rows ({ box, score, label }); label defaults to 0, score to 1. */
export function boxArrays(
  rows: readonly { box: readonly number[]; score?: number | null; label?: number }[],
  precision: 32 | 64 = 64,
): BoxArrays {
  const n = rows.length;
  const xyxy = precision === 32 ? new Float32Array(n * 4) : new Float64Array(n * 4);
  const scores = precision === 32 ? new Float32Array(n) : new Float64Array(n);
  const labels = new Int32Array(n);
  rows.forEach((r, i) => {
    if (r.box.length !== 4) throw new Error(`box ${i}: expected 4 numbers [x0, y0, x1, y1], got ${r.box.length}`);
    for (let k = 0; k < 4; k++) xyxy[i * 4 + k] = r.box[k];
    scores[i] = r.score ?? 1;
    labels[i] = r.label ?? 0;
  });
  return { xyxy, scores, labels };
}

/** The boxes at `indices`, in that order. */
export function take(b: BoxArrays, indices: ArrayLike<number>): BoxArrays {
  const n = indices.length;
  const xyxy = new (b.xyxy.constructor as Float64ArrayConstructor)(n * 4);
  const scores = new (b.scores.constructor as Float64ArrayConstructor)(n);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    xyxy[k * 4] = b.xyxy[i * 4];
    xyxy[k * 4 + 1] = b.xyxy[i * 4 + 1];
    xyxy[k * 4 + 2] = b.xyxy[i * 4 + 2];
    xyxy[k * 4 + 3] = b.xyxy[i * 4 + 3];
    scores[k] = b.scores[i];
    labels[k] = b.labels[i];
  }
  return { xyxy, scores, labels };
}

/** Box i as a plain tuple. */
export function boxAt(b: BoxArrays, i: number): [number, number, number, number] {
  return [b.xyxy[i * 4], b.xyxy[i * 4 + 1], b.xyxy[i * 4 + 2], b.xyxy[i * 4 + 3]];
}

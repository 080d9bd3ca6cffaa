/**
 * Raw tensor data the runner moves between graphs: float32 or float16 (as Uint16Array bits, Node 20
 * has no Float16Array), int64 and bool. Copies are type-agnostic so fp16 I/O needs no special path.
 */
import ort from 'onnxruntime-node';

export type FloatType = 'float32' | 'float16';
export type FloatData = Float32Array | Uint16Array;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits from a number, round to nearest even (what numpy's astype(float16) does). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `data` (of type `from`) as `to`; the same array when the types agree. */
export function convertFloat(data: FloatData, from: FloatType, to: FloatType): FloatData {
  if (from === to) return data;
  if (to === 'float16') {
    const out = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = toHalf(data[i]);
    return out;
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = fromHalf(data[i]);
  return out;
}

export function allocFloat(type: FloatType, n: number): FloatData {
  return type === 'float16' ? new Uint16Array(n) : new Float32Array(n);
}

/**
 * Rows `index` of a [rows, rowSize] array (a row may repeat: beams share a prefix), in that order, into
 * the start of `out` (at least index.length * rowSize long, not `data`); returns that part.
 */
export function gatherRowsInto<T extends FloatData | BigInt64Array>(
  data: T,
  rowSize: number,
  index: readonly number[],
  out: T,
): T {
  for (let i = 0; i < index.length; i++)
    out.set(data.subarray(index[i] * rowSize, (index[i] + 1) * rowSize) as never, i * rowSize);
  return out.subarray(0, index.length * rowSize) as T;
}

export function floatTensor(type: FloatType, data: FloatData, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(type, data as Float32Array, dims);
}

export function int64Tensor(rows: readonly (readonly number[])[]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  const out = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) =>
    r.forEach((v, j) => {
      out[i * width + j] = BigInt(v);
    }),
  );
  return new ort.Tensor('int64', out, [rows.length, width]);
}

/** Logits of the last position per row as float32 whatever the graph returns. */
export function lastLogits(t: ort.Tensor): { data: Float32Array; rows: number; vocab: number } {
  const [rows, steps, vocab] = t.dims;
  const all =
    t.type === 'float16'
      ? (convertFloat(t.data as Uint16Array, 'float16', 'float32') as Float32Array)
      : (t.data as Float32Array);
  if (steps === 1) return { data: all, rows, vocab };
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++)
    out.set(all.subarray((r * steps + steps - 1) * vocab, (r * steps + steps) * vocab), r * vocab);
  return { data: out, rows, vocab };
}

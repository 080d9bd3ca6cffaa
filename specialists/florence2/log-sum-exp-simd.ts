/**
 * A logits row's log-sum-exp and a beam's best candidates in WebAssembly (log-sum-exp.wat), the same
 * doubles and the same picks as the JavaScript loops in logits.ts and search.ts at about a third of
 * their CPU (`npm run bench -- beam-kernels`; held equal in
 * test/specialists/florence2-logits-simd.test.ts). A row is copied into the module's memory once per
 * beam and step (microseconds for Florence-2's 51k vocabulary, against ~0.4 ms of exp). `create`
 * gives null where the engine cannot compile WebAssembly SIMD; the callers then keep their loops.
 */
import { WASM_BASE64 } from './log-sum-exp-wasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  max(row: number, n: number): number;
  sumExp(row: number, n: number, max: number): number;
  topK(row: number, n: number, lse: number, sum: number, k: number, floor: number): number;
}

const PAGE = 65536;
/** Byte offset of the row in the module's memory; below it the candidate list (log-sum-exp.wat). */
const ROW = 4096;
/** The most candidates the list holds (2 * num_beams). */
export const MAX_CANDIDATES = 128;

function instantiate(): Exports | null {
  try {
    const module = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    return new WebAssembly.Instance(module, { m: { exp: Math.exp } }).exports as unknown as Exports;
  } catch {
    return null;
  }
}

export class SimdLogits {
  readonly #x: Exports;
  #row: Float32Array;
  #n = 0;
  #v: Float64Array;
  #lp: Float64Array;
  #tok: Int32Array;

  private constructor(x: Exports) {
    this.#x = x;
    this.#row = new Float32Array(0);
    this.#v = this.#lp = new Float64Array(0);
    this.#tok = new Int32Array(0);
    this.#views();
  }

  static create(): SimdLogits | null {
    const x = instantiate();
    return x ? new SimdLogits(x) : null;
  }

  #views(): void {
    const b = this.#x.memory.buffer;
    this.#row = new Float32Array(b, ROW);
    this.#v = new Float64Array(b, 0, MAX_CANDIDATES);
    this.#lp = new Float64Array(b, 1024, MAX_CANDIDATES);
    this.#tok = new Int32Array(b, 2048, MAX_CANDIDATES);
  }

  /** Copies `logits[row]` in; the calls below read it until the next `load`. */
  load(logits: Float32Array, row: number, vocab: number): void {
    if (this.#row.length < vocab) {
      const memory = this.#x.memory;
      memory.grow(Math.ceil((ROW + vocab * 4 - memory.buffer.byteLength) / PAGE));
      this.#views();
    }
    this.#row.set(logits.subarray(row * vocab, (row + 1) * vocab));
    this.#n = vocab;
  }

  /** log(sum(exp(row))), max first, float64: what logits.ts's `logSumExpJs` returns. */
  logSumExp(): number {
    const max = this.#x.max(ROW, this.#n);
    return max + Math.log(this.#x.sumExp(ROW, this.#n, max));
  }

  /** Takes `tokens` out of the candidates (their logits become -inf in the copy). */
  ban(tokens: readonly number[]): void {
    for (const t of tokens) this.#row[t] = -Infinity;
  }

  /**
   * The row's best `k` (at most MAX_CANDIDATES) candidates, value sum + (logit - lse), best first and
   * a tie keeping the earlier token, -inf scores and values not above `floor` (NaN: none) left out;
   * read them with `value`, `score`, `token`.
   */
  top(lse: number, sum: number, k: number, floor: number): number {
    return this.#x.topK(ROW, this.#n, lse, sum, k, floor);
  }

  value(i: number): number {
    return this.#v[i];
  }

  score(i: number): number {
    return this.#lp[i];
  }

  token(i: number): number {
    return this.#tok[i];
  }
}

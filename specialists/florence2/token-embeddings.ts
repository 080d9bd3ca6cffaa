/**
 * Token embeddings from `embed_tokens`, each id's row kept after its first call. The graph is a row
 * gather and an element-wise scale, so a row does not depend on the batch it came in: later prompts and
 * decoder steps copy kept rows instead of calling the graph (one call per step otherwise). At most
 * vocab_size rows are kept, in practice the few thousand ids a model writes.
 */
import type ort from 'onnxruntime-node';
import { allocFloat, convertFloat, int64Tensor, type FloatData, type FloatType } from './tensors.ts';

export class TokenEmbeddings {
  readonly #rows = new Map<number, FloatData>();
  #dim = 0;

  constructor(
    private readonly session: ort.InferenceSession,
    /** The graph's output type. */
    private readonly type: FloatType,
  ) {}

  /** Rows of `ids` ([ids.length, dim]) as `to`; into the start of `into` (a `to` buffer) when `to` is the graph's type. */
  async embed(ids: ArrayLike<number>, to: FloatType, into?: FloatData): Promise<FloatData> {
    const rows = this.#rows;
    let missing: number[] | null = null;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!rows.has(id) && !missing?.includes(id)) (missing ??= []).push(id);
    }
    if (missing) {
      const { inputs_embeds } = await this.session.run({ input_ids: int64Tensor([missing]) });
      const data = inputs_embeds.data as FloatData;
      const dim = inputs_embeds.dims[2];
      this.#dim = dim;
      missing.forEach((id, k) => rows.set(id, data.subarray(k * dim, (k + 1) * dim)));
    }
    const dim = this.#dim;
    const n = ids.length * dim;
    const out = into && to === this.type && into.length >= n ? into.subarray(0, n) : allocFloat(this.type, n);
    for (let i = 0; i < ids.length; i++) out.set(rows.get(ids[i]) as never, i * dim);
    return convertFloat(out, this.type, to);
  }
}

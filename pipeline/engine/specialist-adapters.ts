import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecialistAdapter } from '../../specialists/adapter.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { DetectorGroundingAdapter } from '../../specialists/detector/detector-grounding.ts';
import { Florence2Adapter } from '../../specialists/florence2/florence2-adapter.ts';
import { CAPTION_TASKS } from '../../specialists/florence2/output-rows.ts';
import { OcrAdapter } from '../../specialists/ocr/ocr.ts';
import type { ThreadOptions } from '../../specialists/ort-options.ts';
import { fileFor, readManifest } from '../../specialists/registry/model-folder.ts';

/**
 * What each specialist's model reference becomes (the `adapter` of its entry in
 * specialist-registry.ts). Loaded on the first adapter a process builds: it brings in onnxruntime.
 */

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

/** One adapter to build: the slot, its model (resolved), the round, the ORT threads and the plan's tasks. */
export interface AdapterRequest {
  specialist: string;
  ref: string;
  round: number;
  threads: ThreadOptions;
  /** The tasks a refinement round's plan names for this slot (pipeline/engine/refine-plan.ts). */
  tasks?: readonly string[];
  /** The Florence-2 task of the slot (specialist-registry.ts); none for the captioner. */
  florence2Task?: string;
}

const isModelFolder = (ref: string) => existsSync(join(ref, 'fld-model.json'));
const familyOf = async (ref: string) => (isModelFolder(ref) ? (await readManifest(ref)).family : null);
/** Replicas split a Florence-2 engine's sharing key, so one model would load twice. */
const withoutReplicas = ({ replicas: _, ...t }: ThreadOptions): ThreadOptions => t;

/** A florence2 folder in the detector slot (a refinement round's model) runs `<OD>` there. */
export async function detectorAdapter(req: AdapterRequest): Promise<SpecialistAdapter> {
  const { specialist, ref, round, threads } = req;
  if ((await familyOf(ref)) === 'florence2') return florence2Adapter({ ...req, threads: withoutReplicas(threads) });
  if (!isModelFolder(ref))
    throw new NoAdapterError(`specialists.${specialist} = ${ref}: not a model folder (no fld-model.json)`);
  return new DetectorAdapter({ modelDir: ref, round, threads });
}

/** Built-in `ppocr-v4`, an `ocr` model folder, or a florence2 folder running `<OCR_WITH_REGION>`. */
export async function ocrAdapter(req: AdapterRequest): Promise<SpecialistAdapter> {
  const { specialist, ref, round, threads } = req;
  if (ref === 'ppocr-v4') return new OcrAdapter({ round, threads });
  if ((await familyOf(ref)) === 'florence2') return florence2Adapter(req);
  const m = await readManifest(ref);
  if (m.family !== 'ocr')
    throw new NoAdapterError(`specialists.${specialist} = ${ref}: model family is ${m.family}, expected ocr`);
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

/** A detector folder grounds by class names (specialists/detector/detector-grounding.ts); otherwise Florence-2. */
export async function groundingAdapter(req: AdapterRequest): Promise<SpecialistAdapter> {
  if ((await familyOf(req.ref)) === 'detector')
    return new DetectorGroundingAdapter({ modelDir: req.ref, round: req.round, threads: req.threads });
  return florence2Adapter(req);
}

/**
 * A Florence-2 folder as one specialist: the captioner runs the caption tasks its fld-model.json lists
 * (brief, detailed, more detailed), every other slot its one task (grounding
 * `<CAPTION_TO_PHRASE_GROUNDING>` on the captioner's captions, the region captioner
 * `<REGION_TO_DESCRIPTION>` on the detector's boxes). The stage hands those inputs to the adapter
 * (stage-inputs.ts).
 */
export async function florence2Adapter(req: AdapterRequest): Promise<Florence2Adapter> {
  const { specialist, ref, round, threads, tasks: only, florence2Task } = req;
  if (!isModelFolder(ref))
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
  } else if (florence2Task) {
    if (!listed.includes(florence2Task))
      throw new NoAdapterError(
        `specialists.${specialist} = ${ref}: fld-model.json does not list ${florence2Task} (it has ${listed.join(' ') || 'none'})`,
      );
    tasks = [florence2Task];
  } else {
    tasks = Object.keys(CAPTION_TASKS).filter((t) => listed.includes(t));
    if (!tasks.length)
      throw new NoAdapterError(
        `specialists.${specialist} = ${ref}: fld-model.json lists no caption task (${Object.keys(CAPTION_TASKS).join(' ')}); it has ${listed.join(' ') || 'none'}`,
      );
  }
  return new Florence2Adapter({ modelDir: ref, tasks, round, threads, shareEngine: true });
}

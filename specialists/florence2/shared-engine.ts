/**
 * One Florence2Engine per model folder and options in a process, shared by the adapters that use it
 * (the engine's captioner, grounding and region captioner may all name the same folder: the model
 * loads once). Reference-counted: the engine is released when its last user releases its lease.
 */
import type { Florence2RunnerOptions } from './runner.ts';
import { openEngine, type Florence2Engine } from './engine.ts';

const open = new Map<string, { engine: Promise<Florence2Engine>; users: number }>();

export async function acquireEngine(dir: string, opts: Florence2RunnerOptions = {}): Promise<Florence2Engine> {
  const key = `${dir}\u0000${JSON.stringify(opts)}`;
  let slot = open.get(key);
  if (!slot) {
    slot = { engine: openEngine(dir, opts), users: 0 };
    open.set(key, slot);
    // a failed load is not kept: the next user tries again
    slot.engine.catch(() => open.delete(key));
  }
  slot.users++;
  let e: Florence2Engine;
  try {
    e = await slot.engine;
  } catch (err) {
    slot.users--;
    throw err;
  }
  const s = slot;
  let released = false;
  // explicit delegation, not a prototype or proxy: the inline runner keeps private fields that need `this` = itself
  return {
    get tokenizer() {
      return e.tokenizer;
    },
    get tasks() {
      return e.tasks;
    },
    get image() {
      return e.image;
    },
    get promptLimit() {
      return e.promptLimit;
    },
    get outputLimit() {
      return e.outputLimit;
    },
    promptIds: (prefix) => e.promptIds(prefix),
    encodeImages: (pixels) => e.encodeImages(pixels),
    generate: (f, jobs, o, search) => e.generate(f, jobs, o, search),
    freeFeatures: (f) => e.freeFeatures(f),
    async release() {
      if (released) return;
      released = true;
      if (--s.users > 0) return;
      if (open.get(key) === s) open.delete(key);
      await e.release();
    },
  };
}

/** Engines open for sharing in this process (for status lines and tests). */
export function sharedEngineCount(): number {
  return open.size;
}

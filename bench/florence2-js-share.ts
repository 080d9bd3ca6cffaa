/**
 * The Florence-2 runner's CPU per image split into the model calls and the JavaScript around them.
 * Every session's `run` is wrapped to add up the process CPU time between the call and its result:
 * ORT's native work, its output tensors and onnxruntime-common's checks, what calling the model costs
 * (the anchor). The rest of the process CPU over the same pass is the runner's JavaScript: search,
 * logits, tensor bookkeeping and its garbage. Both sides come from one pass, so others' load on the
 * machine moves them together (a replay of the recorded calls in a separate pass was tried: under load
 * the two passes differed by more than the JavaScript). The wrapper's two getrusage calls cost about
 * 1 us of CPU each per model call, split between the sides.
 */
import { Florence2Runner } from '../specialists/florence2/runner.ts';
import type { ThreadOptions } from '../specialists/ort-options.ts';

export interface JsShare {
  /** Process CPU ms per image, whole pass. */
  total: number;
  /** CPU ms per image inside session.run. */
  model: number;
  /** Model calls per image. */
  calls: number;
}

const cpu = (from?: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return c.user + c.system;
};

/**
 * `<CAPTION>` on each image alone (vision encoder, encoder, decoder steps: one image is one runner
 * call), `rounds` passes after a warm-up; the pass with the least process CPU is kept (the least
 * disturbed by others).
 */
export async function captionJsShare(
  dir: string,
  pixels: readonly Float32Array[],
  o: { threads: ThreadOptions; numBeams: number; maxNewTokens: number; rounds: number },
): Promise<JsShare> {
  const runner = await Florence2Runner.load(dir, { threads: o.threads, maxBatch: 1 });
  let inside = 0;
  let calls = 0;
  for (const session of Object.values(runner.graphs.sessions)) {
    const run = session.run.bind(session) as (...a: unknown[]) => ReturnType<typeof session.run>;
    Object.defineProperty(session, 'run', {
      value: async (...a: unknown[]) => {
        const c0 = process.cpuUsage();
        const out = await run(...a);
        inside += cpu(c0);
        calls++;
        return out;
      },
    });
  }
  const promptIds = runner.promptIds('<CAPTION>');
  const pass = async (images: readonly Float32Array[]) => {
    for (const p of images) {
      const f = await runner.encodeImages([p]);
      await runner.generate(f, [{ image: 0, promptIds }], { numBeams: o.numBeams, maxNewTokens: o.maxNewTokens });
    }
  };
  try {
    await pass(pixels.slice(0, 4));
    let best: JsShare | null = null;
    for (let r = 0; r < o.rounds; r++) {
      inside = 0;
      calls = 0;
      const c0 = process.cpuUsage();
      await pass(pixels);
      const n = pixels.length * 1000;
      const total = cpu(c0) / n;
      if (!best || total < best.total) best = { total, model: inside / n, calls: (calls * 1000) / n };
    }
    return best as JsShare;
  } finally {
    await runner.release();
  }
}

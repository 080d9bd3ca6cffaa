/**
 * The Florence-2 runner's CPU per image split into the model calls and the JavaScript around them.
 * Every session's `run` is wrapped to add up the process CPU time between the call and its result:
 * ORT's native work, its output tensors and onnxruntime-common's checks, what calling the model costs
 * (the anchor). The rest of the process CPU over the same pass is the runner's JavaScript: search,
 * logits, tensor bookkeeping and its garbage. Both sides come from one pass, so others' load on the
 * machine moves them together (a replay of the recorded calls in a separate pass was tried: under load
 * the two passes differed by more than the JavaScript). The wrapper's two getrusage calls cost about
 * 1 us of CPU each per model call, split between the sides.
 * `captionJsShareApart` runs it in a child process holding only the runner, as the engine's inference
 * worker holds it: the garbage collector's passes (ORT's output buffers start full ones) cost with the
 * size of the heap, and a bench's own heap (transformers.js, image generation) would add to them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Florence2Runner } from '../specialists/florence2/runner.ts';
import type { ThreadOptions } from '../specialists/ort-options.ts';

export interface JsShare {
  /** Process CPU ms per image, whole pass. */
  total: number;
  /** CPU ms per image inside session.run. */
  model: number;
  /** Model calls per image. */
  calls: number;
  /** Garbage collector pauses per image, ms of wall time (part of the JavaScript side, mostly started by ORT's output buffers). */
  gc: number;
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
interface Options {
  threads: ThreadOptions;
  numBeams: number;
  maxNewTokens: number;
  rounds: number;
}

export async function captionJsShare(dir: string, pixels: readonly Float32Array[], o: Options): Promise<JsShare> {
  const runner = await Florence2Runner.load(dir, { threads: o.threads, maxBatch: 1 });
  let inside = 0;
  let calls = 0;
  let gc = 0;
  const pauses = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc += e.duration;
  });
  pauses.observe({ entryTypes: ['gc'] });
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
      gc = 0;
      const c0 = process.cpuUsage();
      await pass(pixels);
      const n = pixels.length * 1000;
      const total = cpu(c0) / n;
      // gc entries arrive on a later turn of the event loop
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (!best || total < best.total)
        best = { total, model: inside / n, calls: (calls * 1000) / n, gc: (gc * 1000) / n };
    }
    return best as JsShare;
  } finally {
    pauses.disconnect();
    await runner.release();
  }
}

/** `captionJsShare` in a child process: the pixels go through a temp file, the figures come back as JSON. */
export function captionJsShareApart(dir: string, pixels: readonly Float32Array[], o: Options): JsShare {
  const work = mkdtempSync(join(tmpdir(), 'fld-f2-js-share-'));
  try {
    const file = join(work, 'pixels.f32');
    writeFileSync(file, Buffer.concat(pixels.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength))));
    const args = JSON.stringify({ dir, file, images: pixels.length, o });
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), args], {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    return JSON.parse(out.trim().split('\n').at(-1) as string) as JsShare;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = JSON.parse(process.argv[2]) as { dir: string; file: string; images: number; o: Options };
  const buf = readFileSync(a.file);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const plane = all.length / a.images;
  const pixels = Array.from({ length: a.images }, (_, i) => all.subarray(i * plane, (i + 1) * plane));
  console.log(JSON.stringify(await captionJsShare(a.dir, pixels, a.o)));
}

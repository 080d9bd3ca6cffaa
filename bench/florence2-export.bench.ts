/**
 * The Florence-2-layout spike's costs: the Python export (must stay under 2 minutes) against the bare
 * cost of starting Python with torch and onnx (the anchor, same run), the BLAS torch runs on, and
 * transformers.js generation on the exported folder, fp16 against fp32 (the anchor).
 * `FLD_BENCH_TOKENS` sets max_new_tokens (default 32).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, AutoProcessor, Florence2ForConditionalGeneration, RawImage } from '@huggingface/transformers';
import { PYTHON, REPO_ROOT } from '../test/helpers/florence2-tiny.ts';

env.allowRemoteModels = false;
const TOKENS = Number(process.env.FLD_BENCH_TOKENS ?? 32);

function seconds(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const work = mkdtempSync(join(tmpdir(), 'fld-f2-bench-'));
const out = join(work, 'model');
const py = (args: string[]) =>
  execFileSync(PYTHON, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
const anchor = seconds(() => py(['-c', 'import torch, onnx']));
let log = '';
const exportS = seconds(() => {
  log = py(['-m', 'training.florence2_layout.export_onnx', out]);
});
console.log(log.trim());
console.log('figure | anchor | ratio');
console.log(
  `export script ${exportS.toFixed(1)} s (budget 120 s) | python + import torch, onnx ${anchor.toFixed(1)} s | ${(exportS / anchor).toFixed(2)}`,
);

const processor = await AutoProcessor.from_pretrained(out);
const size = 512;
const image = new RawImage(
  new Uint8ClampedArray(size * size * 3).map((_, i) => (i * 31) % 256),
  size,
  size,
  3,
);
const inputs = await processor(image, '<OD>');
const perImage: Record<string, number> = {};
for (const dtype of ['fp32', 'fp16'] as const) {
  const model = await Florence2ForConditionalGeneration.from_pretrained(out, { dtype });
  await model.generate({ ...inputs, max_new_tokens: TOKENS, no_repeat_ngram_size: 0 }); // warm-up
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = process.hrtime.bigint();
    await model.generate({ ...inputs, max_new_tokens: TOKENS, no_repeat_ngram_size: 0 });
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  perImage[dtype] = best;
  await model.dispose();
}
console.log(
  `transformers.js <OD> generate, ${TOKENS} new tokens, fp16 ${perImage.fp16.toFixed(0)} ms | fp32 ${perImage.fp32.toFixed(0)} ms | ${(perImage.fp16 / perImage.fp32).toFixed(2)}`,
);
rmSync(work, { recursive: true, force: true });

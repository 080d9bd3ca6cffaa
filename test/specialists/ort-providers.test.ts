// @part integration
/**
 * Execution providers: the config's `ort.executionProviders` / `cpuFallback` as loadConfig validates
 * them, and a session asking for CUDA on this onnxruntime-node, installed without its CUDA libraries
 * (ONNXRUNTIME_NODE_INSTALL=skip, scripts/setup.sh): with the fallback it runs on CPU and the fallback
 * is recorded; without, it stops with one line naming the model and the provider. On a machine with
 * the CUDA build the session tests are skipped (the provider is there, nothing falls back).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../pipeline/config/load-config.ts';
import { ortThreadsFor } from '../../schemas/ort-config.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { openEngine } from '../../specialists/florence2/engine.ts';
import { sessionOptions } from '../../specialists/ort-options.ts';
import { checkProvidersAtStart, providerMissing, ProviderUnavailableError } from '../../specialists/ort-providers.ts';
import { openSession } from '../../specialists/ort-session.ts';
import { providerFallbacks } from '../../specialists/provider-fallbacks.ts';
import { tinyFlorence2Folder } from '../helpers/florence2-tiny.ts';
import { yoloModelFolder } from './fixtures/model-folder.ts';

let dir: string;
let modelDir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fld-providers-'));
  modelDir = await yoloModelFolder('exact', 64, ['a', 'b']);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(modelDir, { recursive: true, force: true });
});

const loadOrt = async (ort: unknown) => {
  const f = join(dir, 'ort.json');
  await writeFile(f, JSON.stringify({ ort }));
  return (await loadConfig(f, {})).ort;
};

test('providers in the config: a name or { name, deviceId }, in order, per specialist over the top level', async () => {
  const o = await loadOrt({
    executionProviders: ['cpu'],
    perSpecialist: { detector: { executionProviders: [{ name: 'cuda', deviceId: 1 }, 'cpu'], cpuFallback: true } },
  });
  assert.deepEqual(ortThreadsFor(o, 'detector'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    replicas: 1,
    spinning: false,
    executionProviders: [{ name: 'cuda', deviceId: 1 }, { name: 'cpu' }],
    cpuFallback: true,
  });
  assert.deepEqual(ortThreadsFor(o, 'ocr').executionProviders, [{ name: 'cpu' }]);
  assert.equal(ortThreadsFor(o, 'ocr').cpuFallback, undefined);
  assert.deepEqual(sessionOptions(ortThreadsFor(o, 'detector')).executionProviders, [
    { name: 'cuda', deviceId: 1 },
    { name: 'cpu' },
  ]);
  // none asked: ORT's own default (CPU), the options as before
  assert.equal(sessionOptions(ortThreadsFor(await loadOrt({}), 'detector')).executionProviders, undefined);
});

test('an unknown provider, a bad device id or a stray key is refused naming the field', async () => {
  const refused = async (ort: unknown, message: RegExp) =>
    assert.rejects(
      loadOrt(ort),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(ort),
    );
  await refused(
    { executionProviders: ['cuda12'] },
    /ort\.executionProviders\[0\]" unknown execution provider "cuda12" \(known: cpu, cuda, tensorrt, webgpu\)/,
  );
  await refused(
    { perSpecialist: { captioner: { executionProviders: ['cpu', { name: 'gpu' }] } } },
    /ort\.perSpecialist\.captioner\.executionProviders\[1\]\.name" unknown execution provider "gpu"/,
  );
  await refused(
    { executionProviders: [{ name: 'cuda', deviceId: -1 }] },
    /ort\.executionProviders\[0\]\.deviceId" must be a GPU index/,
  );
  await refused(
    { executionProviders: [{ name: 'cuda', deviceId: 0.5 }] },
    /ort\.executionProviders\[0\]\.deviceId" must be a GPU index/,
  );
  await refused(
    { executionProviders: [{ name: 'cpu', deviceId: 0 }] },
    /deviceId" deviceId applies to cuda and tensorrt only/,
  );
  await refused(
    { executionProviders: [{ name: 'cuda', device: 0 }] },
    /executionProviders\[0\]\.device" unknown key "device"/,
  );
  await refused({ executionProviders: [] }, /ort\.executionProviders"/);
  await refused({ cpuFallback: 'yes' }, /ort\.cpuFallback"/);
});

const cudaMissing = providerMissing('cuda');
const noCuda = { skip: cudaMissing ? false : 'this onnxruntime-node has its CUDA libraries: nothing falls back' };
const cudaThenCpu = { executionProviders: [{ name: 'cuda', deviceId: 0 } as const, { name: 'cpu' } as const] };

test(
  'cuda asked, CUDA libraries absent, fallback on: the session runs on CPU, same outputs, fallback recorded once',
  noCuda,
  async () => {
    assert.match(cudaMissing!, /libonnxruntime_providers_cuda\.so is missing/);
    const model = join(modelDir, 'model.onnx');
    const input = () => ({
      images: { type: 'float32', data: new Float32Array(3 * 64 * 64).fill(0.5), dims: [1, 3, 64, 64] },
    });
    const cpu = await openSession(model, sessionOptions(), 'inline');
    const onWorker = await openSession(model, sessionOptions({ ...cudaThenCpu, cpuFallback: true }), 'worker', true);
    const inline = await openSession(model, sessionOptions({ ...cudaThenCpu, cpuFallback: true }), 'inline', true);
    try {
      const want = (await cpu.run(input())).output0;
      assert.deepEqual((await onWorker.run(input())).output0, want);
      assert.deepEqual((await inline.run(input())).output0, want);
      // recorded on this thread from the worker's ready message; the inline session adds no second entry
      const mine = providerFallbacks().filter((f) => f.model === model);
      assert.deepEqual(mine, [{ model, provider: 'cuda', reason: cudaMissing, runsOn: 'cpu' }]);
    } finally {
      await Promise.all([cpu.release(), onWorker.release(), inline.release()]);
    }
    // a whole adapter the engine builds from the config's settings
    const detector = new DetectorAdapter({
      modelDir,
      round: 0,
      threads: { ...cudaThenCpu, cpuFallback: true, replicas: 2 },
    });
    await detector.setup();
    await detector.teardown();
  },
);

test(
  'cuda asked, CUDA libraries absent, fallback off: one line naming the model and the provider, nothing starts',
  noCuda,
  async () => {
    const model = join(modelDir, 'model.onnx');
    for (const where of ['worker', 'inline'] as const) {
      await assert.rejects(
        openSession(model, sessionOptions({ executionProviders: [{ name: 'cuda' }] }), where),
        (e: Error) => {
          assert.equal(
            e.message,
            `${model}: execution provider cuda not available (${cudaMissing}); ort.cpuFallback is off, so it does not start`,
          );
          assert.ok(!e.message.includes('\n'));
          return where === 'inline' ? e instanceof ProviderUnavailableError : true;
        },
      );
    }
    const detector = new DetectorAdapter({ modelDir, round: 0, threads: cudaThenCpu });
    await assert.rejects(detector.setup(), /model\.onnx: execution provider cuda not available/);
  },
);

test(
  'a Florence-2 folder on its worker thread: one fallback for the folder, or one refusal naming it',
  noCuda,
  async () => {
    const folder = tinyFlorence2Folder();
    const engine = await openEngine(folder, { threads: { ...cudaThenCpu, cpuFallback: true } });
    try {
      const features = await engine.encodeImages([new Float32Array(3 * engine.image.height * engine.image.width)]);
      assert.equal(features.count, 1);
      assert.deepEqual(
        providerFallbacks().filter((f) => f.model.startsWith(folder)),
        [{ model: folder, provider: 'cuda', reason: cudaMissing, runsOn: 'cpu' }],
      );
    } finally {
      await engine.release();
    }
    await assert.rejects(openEngine(folder, { threads: cudaThenCpu }), {
      message: `${folder}: execution provider cuda not available (${cudaMissing}); ort.cpuFallback is off, so it does not start`,
    });
  },
);

test(
  'a worker checks its specialists before any job: a missing provider without fallback is one line naming the specialist',
  noCuda,
  async () => {
    const o = await loadOrt({
      perSpecialist: {
        detector: { executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'], cpuFallback: true },
        captioner: { executionProviders: ['cuda', 'cpu'] },
      },
    });
    // the detector may fall back, OCR asks for no GPU: nothing to refuse
    checkProvidersAtStart(o, ['detector', 'ocr']);
    assert.throws(
      () => checkProvidersAtStart(o, ['detector', 'captioner']),
      (e: Error) =>
        e instanceof ProviderUnavailableError &&
        e.message ===
          `specialist captioner: execution provider cuda not available (${cudaMissing}); ort.cpuFallback is off, so it does not start`,
    );
  },
);

test('a provider that is installed but fails to start (WebGPU with no adapter): CPU with the fallback, one line without', async (t) => {
  const model = join(modelDir, 'model.onnx');
  const webgpuThenCpu = { executionProviders: [{ name: 'webgpu' } as const, { name: 'cpu' } as const] };
  let refusal: Error | null = null;
  const refused = await openSession(model, sessionOptions(webgpuThenCpu), 'inline').catch((e: Error) => {
    refusal = e;
    return null;
  });
  if (refused) {
    // this machine has a WebGPU adapter: the provider starts and nothing falls back
    await refused.release();
    t.skip('WebGPU starts here');
    return;
  }
  const line = (refusal as Error | null)?.message ?? '';
  assert.ok(line.startsWith(`${model}: execution provider webgpu not available (failed to start: `), line);
  assert.ok(line.endsWith('; ort.cpuFallback is off, so it does not start') && !line.includes('\n'), line);
  const s = await openSession(model, sessionOptions({ ...webgpuThenCpu, cpuFallback: true }), 'worker', true);
  const cpu = await openSession(model, sessionOptions(), 'inline');
  try {
    const f = providerFallbacks().find((x) => x.model === model && x.provider === 'webgpu');
    assert.equal(f?.runsOn, 'cpu');
    assert.match(f?.reason ?? '', /^failed to start: /);
    const input = () => ({
      images: { type: 'float32', data: new Float32Array(3 * 64 * 64).fill(0.25), dims: [1, 3, 64, 64] },
    });
    assert.deepEqual((await s.run(input())).output0, (await cpu.run(input())).output0);
  } finally {
    await Promise.all([s.release(), cpu.release()]);
  }
});

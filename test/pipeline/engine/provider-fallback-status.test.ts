// @part integration
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { providerMissing } from '../../../specialists/ort-providers.ts';
import { yoloModelFolder } from '../../specialists/fixtures/model-folder.ts';
import { fld, makeEnv, makeWorld } from './harness.ts';

/**
 * A worker whose config asks for CUDA on the detector, with the CPU fallback, on this onnxruntime-node
 * installed without its CUDA libraries: the round runs on CPU, and `fld status` names the worker, the
 * model and the provider until the worker closes. Skipped where the CUDA libraries are installed.
 */
const cudaMissing = providerMissing('cuda');
let world: { dir: string; manifest: string };
let model: string;
before(async () => {
  [world, model] = await Promise.all([makeWorld(20, 5), yoloModelFolder('exact', 64, ['red thing', 'green thing'])]);
});
after(async () => {
  await rm(world.dir, { recursive: true, force: true });
  await rm(model, { recursive: true, force: true });
});

test('fld status shows a worker that runs the detector on CPU instead of CUDA, until it closes', {
  timeout: 240_000,
  skip: cudaMissing ? false : 'this onnxruntime-node has its CUDA libraries: nothing falls back',
}, async () => {
  const env = await makeEnv({
    shardSize: 10,
    specialists: { detector: model },
    ort: {
      perSpecialist: { detector: { executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'], cpuFallback: true } },
    },
  });
  try {
    const cfg = ['--config', env.configFile];
    const r = await fld(['enqueue', world.manifest, '--collection', 's', ...cfg], { cwd: env.dir }).done;
    assert.equal(r.code, 0, r.stderr);
    const worker = env.startWorker('detect,merge');
    const s = await env.waitFinished('s');
    assert.equal(s.images.done, 20);
    const line = `! ${hostname()}:${worker.pid} since `;
    const fallback = `${join(model, 'model.onnx')}: execution provider cuda not available (${cudaMissing}); running on cpu (ort.cpuFallback)`;
    const text = await fld(['status', '--collection', 's', ...cfg], { cwd: env.dir }).done;
    assert.equal(text.code, 0, text.stderr);
    const shown = text.stdout.split('\n').filter((l) => l.includes(line));
    assert.equal(shown.length, 1, text.stdout);
    assert.ok(shown[0].endsWith(fallback), shown[0]);
    // --json keeps its array on stdout; the fallback goes to stderr
    const json = await fld(['status', '--collection', 's', ...cfg, '--json'], { cwd: env.dir }).done;
    assert.equal(JSON.parse(json.stdout).length, 1);
    assert.ok(json.stderr.includes(fallback), json.stderr);

    worker.kill('SIGTERM');
    await new Promise((res) => worker.once('close', res));
    const later = await fld(['status', '--collection', 's', ...cfg], { cwd: env.dir }).done;
    assert.ok(!later.stdout.includes(line), later.stdout);
  } finally {
    await env.close();
  }
});

test('a worker whose specialist asks for CUDA without the fallback refuses to start, in one line, before taking a job', {
  timeout: 120_000,
  skip: cudaMissing ? false : 'this onnxruntime-node has its CUDA libraries: nothing to refuse',
}, async () => {
  const env = await makeEnv({
    specialists: { detector: model },
    ort: { perSpecialist: { detector: { executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'] } } },
  });
  try {
    const refused = await fld(['worker', '--queues', 'detect,merge', '--config', env.configFile], { cwd: env.dir })
      .done;
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `fld: specialist detector: execution provider cuda not available (${cudaMissing}); ort.cpuFallback is off, so it does not start\n`,
    );
  } finally {
    await env.close();
  }
});

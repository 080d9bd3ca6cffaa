// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openSession } from '../../specialists/ort-session.ts';
import { sessionOptions } from '../../specialists/ort-options.ts';
import { yoloModelFolder } from './fixtures/model-folder.ts';

test("a worker-thread session gives the inline session's outputs and leaves the event loop free while it runs", async () => {
  const dir = await yoloModelFolder('bench', 320, ['a', 'b']);
  const model = join(dir, 'model.onnx');
  const input = () => {
    const data = new Float32Array(8 * 3 * 320 * 320);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7) % 255) / 255;
    return { images: { type: 'float32', data, dims: [8, 3, 320, 320] } };
  };
  const inline = await openSession(model, sessionOptions(), 'inline');
  const worker = await openSession(model, sessionOptions(), 'worker');
  try {
    assert.deepEqual(worker.inputNames, inline.inputNames);
    assert.deepEqual(worker.outputMetadata, inline.outputMetadata);
    const a = (await inline.run(input())).output0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const b = (await worker.run(input())).output0;
    clearInterval(timer);
    assert.deepEqual(b.dims, [8, 6, 2100]);
    assert.deepEqual(b.data, a.data);
    assert.ok(ticks > 0, 'timers ran while the worker was inferring (inline inference blocks them)');
  } finally {
    await inline.release();
    await worker.release();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a model that cannot load is an error naming the file, and the worker is gone', async () => {
  await assert.rejects(
    openSession('/nonexistent/model.onnx', sessionOptions(), 'worker'),
    /\/nonexistent\/model\.onnx: .*(No such file|Load model|failed)/i,
  );
});

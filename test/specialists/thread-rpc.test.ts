// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startThread } from '../../specialists/thread-rpc.ts';

const module = new URL('./fixtures/rpc-thread.ts', import.meta.url);
const options = { label: 'test thread', callFailed: (m: string) => `call failed: ${m}` };

test('a call gets its own answer, a failing call its error, and the thread keeps serving', async () => {
  const t = await startThread<{ started: boolean }>(module, {}, options);
  try {
    assert.deepEqual(t.ready, { started: true });
    const [a, b] = await Promise.all([
      t.call({ op: 'echo', value: [1, 'a'] }),
      t.call({ op: 'echo', value: { x: 2 } }),
    ]);
    assert.deepEqual([a, b], [[1, 'a'], { x: 2 }]);
    await assert.rejects(t.call({ op: 'fail' }), { message: 'call failed: asked to fail' });
    assert.equal(await t.call({ op: 'echo', value: 3 }), 3);
  } finally {
    await t.terminate();
  }
});

test('a thread that dies rejects the pending calls and every later one, naming the cause', async () => {
  const t = await startThread(module, {}, options);
  try {
    const pending = t.call({ op: 'hold' });
    const exiting = t.call({ op: 'exit', code: 7 });
    await assert.rejects(pending, { message: 'test thread exited (code 7)' });
    await assert.rejects(exiting, { message: 'test thread exited (code 7)' });
    await assert.rejects(t.call({ op: 'echo', value: 1 }), { message: 'test thread exited (code 7)' });
  } finally {
    await t.terminate();
  }
});

test('a start that fails in the module is an error with its message', async () => {
  await assert.rejects(
    startThread(module, { refuse: 'no model here' }, { ...options, startFailed: (m) => `start: ${m}` }),
    { message: 'start: no model here' },
  );
});

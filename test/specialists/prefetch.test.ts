// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefetchBatches } from '../../specialists/prefetch.ts';
import { sessionOptions } from '../../specialists/ort-options.ts';

test('the next batch is prepared while the consumer works on the current one; order and remainder kept', async () => {
  const log: string[] = [];
  const prepare = async (b: number[]) => {
    log.push(`prepare ${b.join(',')}`);
    await new Promise((r) => setImmediate(r));
    return b;
  };
  const seen: number[][] = [];
  for await (const b of prefetchBatches([1, 2, 3, 4, 5], 2, prepare)) {
    log.push(`consume start ${b.join(',')}`);
    await new Promise((r) => setTimeout(r, 5));
    seen.push(b);
    log.push(`consume end ${b.join(',')}`);
  }
  assert.deepEqual(seen, [[1, 2], [3, 4], [5]]);
  // batch 2 was already being prepared before batch 1 was consumed
  assert.ok(log.indexOf('prepare 3,4') < log.indexOf('consume end 1,2'), log.join(' | '));
  assert.ok(log.indexOf('prepare 5') < log.indexOf('consume end 3,4'), log.join(' | '));
});

test('a failing prepare surfaces at its batch, not as an unhandled rejection', async () => {
  const got: number[][] = [];
  await assert.rejects(async () => {
    for await (const b of prefetchBatches([1, 2, 3], 1, async (x) => {
      if (x[0] === 2) throw new Error('boom at 2');
      return x;
    }))
      got.push(b);
  }, /boom at 2/);
  assert.deepEqual(got, [[1]]);
  await assert.rejects(prefetchBatches([1], 0, async (x) => x).next(), /batchSize/);
});

test('ORT thread settings default to one thread each and are validated', () => {
  assert.deepEqual(
    [sessionOptions().intraOpNumThreads, sessionOptions().interOpNumThreads, sessionOptions().executionMode],
    [1, 1, 'sequential'],
  );
  const o = sessionOptions({ intraOpNumThreads: 2, interOpNumThreads: 2 });
  assert.deepEqual([o.intraOpNumThreads, o.interOpNumThreads, o.executionMode], [2, 2, 'parallel']);
  assert.throws(() => sessionOptions({ intraOpNumThreads: 1.5 }), /intraOpNumThreads must be an integer/);
  // intra-op threads do not spin-wait unless asked: workers share the machine's cores
  const spin = (o: ReturnType<typeof sessionOptions>) =>
    (o.extra as { session: { intra_op: { allow_spinning: string } } }).session.intra_op.allow_spinning;
  assert.deepEqual([spin(sessionOptions()), spin(sessionOptions({ spinning: true }))], ['0', '1']);
});

// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowChildJob } from 'bullmq';
import { shardFlow } from '../../../pipeline/engine/flows.ts';
import { jobOptions } from '../../../pipeline/engine/policy.ts';
import { annotateStage, roundSpecialists, topoOrder, type StageNode } from '../../../pipeline/engine/stages.ts';

const stub = (name: string, queue: string, needs: string[]): StageNode => ({ name, queue, needs });
const roundOf = (names: string[]): StageNode[] => {
  const defs = roundSpecialists(names);
  return topoOrder([
    ...defs.map((d) => stub(annotateStage(d.specialist), d.queue, d.needs.map(annotateStage))),
    stub(
      'merge',
      'fld.merge',
      defs.map((d) => annotateStage(d.specialist)),
    ),
  ]);
};
const shape = (j: FlowChildJob): unknown => ({
  [`${j.name}@${j.queueName}#${j.opts?.jobId}`]: (j.children ?? []).map(shape),
});

test('the full round is one tree per shard: merge parent, region captioner over the detector, grounding over the captioner', () => {
  const stages = roundOf(['grounding', 'ocr', 'captioner', 'region_caption', 'detector']);
  assert.deepEqual(stages.map((s) => s.name).at(-1), 'merge');
  const flow = shardFlow(stages, { collection: 'demo', round: 1, shard: 7 }, '{fld}', { attempts: 3, backoffMs: 1000 });
  assert.deepEqual(shape(flow), {
    'merge@fld.merge#demo.1.merge.00007': [
      {
        'annotate:region_caption@fld.regioncap#demo.1.annotate-region_caption.00007': [
          { 'annotate:detector@fld.detect#demo.1.annotate-detector.00007': [] },
        ],
      },
      { 'annotate:ocr@fld.ocr#demo.1.annotate-ocr.00007': [] },
      {
        'annotate:grounding@fld.ground#demo.1.annotate-grounding.00007': [
          { 'annotate:captioner@fld.caption#demo.1.annotate-captioner.00007': [] },
        ],
      },
    ],
  });
  const all: FlowChildJob[] = [];
  const walk = (j: FlowChildJob) => (all.push(j), (j.children ?? []).forEach(walk));
  walk(flow);
  for (const j of all) {
    assert.equal(j.prefix, '{fld}', 'every queue of the flow under one hash tag');
    assert.deepEqual(j.data, { collection: 'demo', round: 1, shard: 7, stage: j.name }, 'pointers only');
    assert.equal(j.opts?.failParentOnFailure, j.name === 'merge' ? undefined : true);
    assert.deepEqual(j.opts?.removeOnFail, jobOptions({ attempts: 3, backoffMs: 1000 }, false).removeOnFail);
    assert.equal(j.opts?.attempts, 3);
  }
});

test('a round with only OCR, or no specialist at all (pre-existing annotations + merge), is a smaller flow', () => {
  assert.deepEqual(
    shape(shardFlow(roundOf(['ocr']), { collection: 'c', round: 0, shard: 0 }, '{x}', { attempts: 1, backoffMs: 0 })),
    {
      'merge@fld.merge#c.0.merge.00000': [{ 'annotate:ocr@fld.ocr#c.0.annotate-ocr.00000': [] }],
    },
  );
  assert.deepEqual(
    shape(shardFlow(roundOf([]), { collection: 'c', round: 0, shard: 3 }, '{x}', { attempts: 1, backoffMs: 0 })),
    { 'merge@fld.merge#c.0.merge.00003': [] },
  );
});

test('configured specialists are checked: unknown names and missing inputs are refused by name', () => {
  assert.throws(() => roundSpecialists(['ocr', 'segmenter']), /specialist "segmenter": no such stage/);
  assert.throws(
    () => roundSpecialists(['region_caption']),
    /"region_caption" reads the output of "detector", which is not configured/,
  );
  assert.throws(() => topoOrder([stub('a', 'q', ['b']), stub('b', 'q', ['a'])]), /cycle: a -> b -> a/);
});

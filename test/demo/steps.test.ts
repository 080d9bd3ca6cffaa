// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { EngineConfig } from '../../schemas/config.ts';
import { registerCommands } from '../../pipeline/cli/commands.ts';
import { demoPlan, workerQueues, type DemoStep } from '../../demo/run/steps.ts';
import { MERGE_QUEUE, roundSpecialists } from '../../pipeline/engine/stages.ts';
import { REFINE_TASK_SLOTS } from '../../schemas/refine-config.ts';
import { queueNames } from '../../workers/worker-process.ts';

const plan = demoPlan({
  out: '/tmp/demo-x',
  images: 120,
  seed: 7,
  queuePrefix: '{fld-demo-test}',
  rounds: 1,
  trainSteps: 50,
});
const index = (pred: (s: DemoStep) => boolean, what: string) => {
  const i = plan.steps.findIndex(pred);
  assert.ok(i >= 0, `a step ${what}`);
  return i;
};

/** The real CLI with every action replaced by a recorder, so a step's args are checked by commander itself. */
function recordingProgram(): {
  program: Command;
  calls: { path: string; opts: Record<string, unknown>; args: unknown[] }[];
} {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerCommands(program);
  const calls: { path: string; opts: Record<string, unknown>; args: unknown[] }[] = [];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      sub.exitOverride();
      const p = [...path, sub.name()];
      sub.action((...a: unknown[]) => {
        calls.push({ path: p.join(' '), opts: sub.opts(), args: a.slice(0, -2) });
      });
      walk(sub, p);
    }
  };
  walk(program, []);
  return { program, calls };
}

test('every fld step of the demo is a command the CLI accepts as written (known command, known options, required ones given)', async () => {
  const fldSteps = plan.steps.filter((s) => s.kind === 'fld');
  assert.ok(fldSteps.length >= 4);
  for (const s of fldSteps) {
    const { program, calls } = recordingProgram();
    await program
      .parseAsync(['node', 'fld', ...s.args])
      .catch((e: Error) =>
        assert.fail(`step "${s.name}": fld ${s.args.join(' ')} is refused by the CLI: ${e.message}`),
      );
    assert.equal(calls.length, 1, `step "${s.name}" runs one command`);
  }
});

test('the recorder does catch a step the CLI would refuse (unknown option, missing required option)', async () => {
  for (const args of [
    ['enqueue', 'x.jsonl', '--collection', 'demo', '--no-such-flag'],
    ['world', 'generate', '--images', '3'],
  ]) {
    const { program } = recordingProgram();
    await assert.rejects(program.parseAsync(['node', 'fld', ...args]));
  }
});

test("the demo config is a valid engine config, with the run's own queue prefix", () => {
  const c = EngineConfig.parse(plan.config);
  assert.equal(c.queuePrefix, '{fld-demo-test}');
  assert.equal(c.storage, '/tmp/demo-x/data');
  assert.ok(Object.keys(c.specialists).length > 0);
});

test('round 0 goes through workers: started before enqueue, covering every stage queue of the round, stopped after the round', () => {
  const workers = index((s) => s.kind === 'workers', 'starting workers');
  const enqueue = index(
    (s) =>
      s.kind === 'fld' &&
      s.args[0] === 'enqueue' &&
      s.args.includes('--round') &&
      s.args[s.args.indexOf('--round') + 1] === '0',
    'enqueueing round 0',
  );
  const wait = index((s) => s.kind === 'wait' && s.round === 0, 'waiting for round 0');
  const stop = index((s) => s.kind === 'stop-workers', 'stopping workers');
  const stats = index((s) => s.kind === 'fld' && s.args[0] === 'stats', 'printing stats');
  const score = index((s) => s.kind === 'quality', 'scoring against the truth');
  const generate = index(
    (s) => s.kind === 'fld' && s.args[0] === 'world' && s.args[1] === 'generate',
    'generating the world',
  );
  assert.ok(
    generate < enqueue && workers < wait && enqueue < wait && wait < stop && wait < stats && wait < score,
    plan.steps.map((s) => s.name).join(' -> '),
  );
  // the enqueue and the workers use the config file the demo writes
  const enq = plan.steps[enqueue] as Extract<DemoStep, { kind: 'fld' }>;
  assert.equal(enq.args[enq.args.indexOf('--config') + 1], plan.configFile);
  // no in-process `fld run` any more
  assert.equal(
    plan.steps.some((s) => s.kind === 'fld' && s.args[0] === 'run'),
    false,
  );

  const sets = (plan.steps[workers] as Extract<DemoStep, { kind: 'workers' }>).queues;
  const served = new Set(sets.flatMap((q) => queueNames(q.join(','))));
  const c = EngineConfig.parse(plan.config);
  const round0 = [...roundSpecialists(Object.keys(c.specialists)).map((d) => d.queue), MERGE_QUEUE];
  for (const q of round0) assert.ok(served.has(q), `a worker serves ${q} (round 0)`);
});

test('then a training and round 1 through the workers: train on round 0, refine round 1 with that model, wait, quality of both rounds', () => {
  const at = (pred: (s: DemoStep) => boolean, what: string) => index(pred, what);
  const fldAt = (cmd: string, what: string) => at((s) => s.kind === 'fld' && s.args[0] === cmd, what);
  const wait0 = at((s) => s.kind === 'wait' && s.round === 0, 'waiting for round 0');
  const train = fldAt('train', 'training');
  const refine = fldAt('refine', 'refining');
  const wait1 = at((s) => s.kind === 'wait' && s.round === 1, 'waiting for round 1');
  const stop = at((s) => s.kind === 'stop-workers', 'stopping workers');
  const quality = at((s) => s.kind === 'quality', 'quality per round');
  assert.ok(
    wait0 < train && train < refine && refine < wait1 && wait1 < stop && stop < quality,
    plan.steps.map((s) => s.name).join(' -> '),
  );
  const arg = (i: number, flag: string) => {
    const a = (plan.steps[i] as Extract<DemoStep, { kind: 'fld' }>).args;
    return a[a.indexOf(flag) + 1];
  };
  assert.equal(arg(train, '--round'), '0');
  assert.equal(arg(train, '--steps'), '50');
  assert.equal(arg(refine, '--round'), '1');
  // refine uses the model the training registered (<collection>-round-<R>) in the same registry
  assert.equal(arg(refine, '--model'), 'demo-round-0');
  assert.equal(arg(refine, '--registry'), arg(train, '--registry'));
  assert.deepEqual((plan.steps[quality] as Extract<DemoStep, { kind: 'quality' }>).rounds, [0, 1]);
  // the stats report the last round and what it changed against round 0
  const stats = fldAt('stats', 'stats');
  assert.equal(arg(stats, '--round'), '1');
  assert.equal(arg(stats, '--diff'), '0');

  // workers: the training queue, and the slots the model fills in round 1 (config refine.tasks)
  // started after round 0 (their start-up does not compete with it), before the training
  const later = plan.steps.findIndex((s, i) => s.kind === 'workers' && i > wait0);
  assert.ok(later > wait0 && later < train, 'training and refinement workers start between round 0 and the training');
  const served = new Set(
    plan.steps.flatMap((s) => (s.kind === 'workers' ? s.queues.flatMap((q) => queueNames(q.join(','))) : [])),
  );
  const c = EngineConfig.parse(plan.config);
  assert.ok(served.has('fld.train'));
  const all = plan.steps.flatMap((s) => (s.kind === 'workers' ? s.queues.map((q) => q.join()) : []));
  assert.equal(new Set(all).size, all.length, 'no queue set is started twice');
  const slots = [...new Set(c.refine.tasks.map((t) => REFINE_TASK_SLOTS[t]!)), ...c.refine.specialists];
  for (const d of roundSpecialists(slots)) assert.ok(served.has(d.queue), `a worker serves ${d.queue} (round 1)`);
});

test('--rounds 0: round 0 only, no training, stats of round 0 without a diff', () => {
  const p = demoPlan({
    out: '/tmp/demo-x',
    images: 120,
    seed: 7,
    queuePrefix: '{fld-demo-test}',
    rounds: 0,
    trainSteps: 50,
  });
  assert.equal(
    p.steps.some((s) => s.kind === 'fld' && (s.args[0] === 'train' || s.args[0] === 'refine')),
    false,
  );
  const stats = p.steps.find((s) => s.kind === 'fld' && s.args[0] === 'stats') as Extract<DemoStep, { kind: 'fld' }>;
  assert.equal(stats.args[stats.args.indexOf('--round') + 1], '0');
  assert.equal(stats.args.includes('--diff'), false);
  const served = (p.steps.find((s) => s.kind === 'workers') as Extract<DemoStep, { kind: 'workers' }>).queues
    .flat()
    .sort();
  assert.deepEqual(
    served,
    ['caption', 'detect', 'ground', 'merge', 'ocr', 'regioncap'],
    'every specialist kind and the merge',
  );
});

test('workerQueues: one process per specialist queue plus the merge, in dependency order', () => {
  assert.deepEqual(workerQueues({ ocr: 'x' }), [['ocr'], ['merge']]);
  const many = workerQueues({ captioner: 'f', grounding: 'f', ocr: 'p' }).flat();
  assert.equal(many.at(-1), 'merge');
  assert.ok(many.indexOf('caption') < many.indexOf('ground'), many.join(','));
});

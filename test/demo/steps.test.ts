import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { EngineConfig } from '../../schemas/config.ts';
import { registerCommands } from '../../pipeline/cli/commands.ts';
import { demoPlan, workerQueues, type DemoStep } from '../../pipeline/demo/steps.ts';
import { MERGE_QUEUE, roundSpecialists } from '../../pipeline/engine/stages.ts';
import { queueNames } from '../../workers/worker-process.ts';

const plan = demoPlan({ out: '/tmp/demo-x', images: 120, seed: 7, queuePrefix: '{fld-demo-test}' });
const index = (pred: (s: DemoStep) => boolean, what: string) => {
  const i = plan.steps.findIndex(pred);
  assert.ok(i >= 0, `a step ${what}`);
  return i;
};

/** The real CLI with every action replaced by a recorder, so a step's args are checked by commander itself. */
function recordingProgram(): { program: Command; calls: { path: string; opts: Record<string, unknown>; args: unknown[] }[] } {
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
    await program.parseAsync(['node', 'fld', ...s.args]).catch((e: Error) => assert.fail(`step "${s.name}": fld ${s.args.join(' ')} is refused by the CLI: ${e.message}`));
    assert.equal(calls.length, 1, `step "${s.name}" runs one command`);
  }
});

test('the recorder does catch a step the CLI would refuse (unknown option, missing required option)', async () => {
  for (const args of [['enqueue', 'x.jsonl', '--collection', 'demo', '--no-such-flag'], ['world', 'generate', '--images', '3']]) {
    const { program } = recordingProgram();
    await assert.rejects(program.parseAsync(['node', 'fld', ...args]));
  }
});

test('the demo config is a valid engine config, with the run\'s own queue prefix', () => {
  const c = EngineConfig.parse(plan.config);
  assert.equal(c.queuePrefix, '{fld-demo-test}');
  assert.equal(c.storage, '/tmp/demo-x/data');
  assert.ok(Object.keys(c.specialists).length > 0);
});

test('round 0 goes through workers: started before enqueue, covering every stage queue of the round, stopped after the round', () => {
  const workers = index((s) => s.kind === 'workers', 'starting workers');
  const enqueue = index((s) => s.kind === 'fld' && s.args[0] === 'enqueue' && s.args.includes('--round') && s.args[s.args.indexOf('--round') + 1] === '0', 'enqueueing round 0');
  const wait = index((s) => s.kind === 'wait' && s.round === 0, 'waiting for round 0');
  const stop = index((s) => s.kind === 'stop-workers', 'stopping workers');
  const stats = index((s) => s.kind === 'fld' && s.args[0] === 'stats', 'printing stats');
  const score = index((s) => s.kind === 'fld' && s.args[0] === 'world' && s.args[1] === 'score', 'scoring against the truth');
  const generate = index((s) => s.kind === 'fld' && s.args[0] === 'world' && s.args[1] === 'generate', 'generating the world');
  assert.ok(generate < enqueue && workers < wait && enqueue < wait && wait < stop && wait < stats && wait < score, plan.steps.map((s) => s.name).join(' -> '));
  // the enqueue and the workers use the config file the demo writes
  const enq = plan.steps[enqueue] as Extract<DemoStep, { kind: 'fld' }>;
  assert.equal(enq.args[enq.args.indexOf('--config') + 1], plan.configFile);
  // no in-process `fld run` any more
  assert.equal(plan.steps.some((s) => s.kind === 'fld' && s.args[0] === 'run'), false);

  const sets = (plan.steps[workers] as Extract<DemoStep, { kind: 'workers' }>).queues;
  const served = sets.flatMap((q) => queueNames(q.join(',')));
  const needed = [...roundSpecialists(Object.keys(EngineConfig.parse(plan.config).specialists)).map((d) => d.queue), MERGE_QUEUE];
  assert.deepEqual([...served].sort(), [...needed].sort());
});

test('workerQueues: one process per specialist queue plus the merge, in dependency order', () => {
  assert.deepEqual(workerQueues({ ocr: 'x' }), [['ocr'], ['merge']]);
  const many = workerQueues({ captioner: 'f', grounding: 'f', ocr: 'p' }).flat();
  assert.equal(many.at(-1), 'merge');
  assert.ok(many.indexOf('caption') < many.indexOf('ground'), many.join(','));
});

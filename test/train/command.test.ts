// @part integration
/** The trainCommand template (pipeline/train/command.ts): words split like a shell, placeholders filled, an absent {init} / {steps} dropped with its flag. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TRAIN_COMMAND, splitWords, trainerArgv } from '../../pipeline/train/command.ts';
import { TrainStageError } from '../../pipeline/train/train-errors.ts';

const v = { export: '/x/export dir', out: '/models/.train-a', init: '/models/a-round-0', steps: 20 };

test('the default command is the reference trainer with every value', () => {
  assert.deepEqual(trainerArgv(null, v), [
    '/usr/bin/python3',
    '-m',
    'training.train',
    '--export',
    '/x/export dir',
    '--out',
    '/models/.train-a',
    '--init',
    '/models/a-round-0',
    '--steps',
    '20',
  ]);
  assert.equal(trainerArgv(DEFAULT_TRAIN_COMMAND, v).length, 11);
});

test('no starting model and no steps: --init {init} and --steps {steps} are dropped, nothing else', () => {
  assert.deepEqual(trainerArgv(null, { ...v, init: null, steps: null }), [
    '/usr/bin/python3',
    '-m',
    'training.train',
    '--export',
    '/x/export dir',
    '--out',
    '/models/.train-a',
  ]);
  // a placeholder inside a longer word is not optional: it becomes empty
  assert.deepEqual(trainerArgv('t --base={init} --out {out}', { ...v, init: null }), [
    't',
    '--base=',
    '--out',
    '/models/.train-a',
  ]);
});

test('quotes group words; a value with spaces stays one argument; no shell expansion', () => {
  assert.deepEqual(splitWords(`sh -c 'echo  $HOME' "a b"c  d`), ['sh', '-c', 'echo  $HOME', 'a bc', 'd']);
  assert.deepEqual(trainerArgv('run.sh --data={export} {out}', v), [
    'run.sh',
    '--data=/x/export dir',
    '/models/.train-a',
  ]);
});

test('a template without {out}, with an unknown placeholder, empty, or with an open quote is bad input', () => {
  for (const [t, m] of [
    ['run.sh {export}', /must pass \{out\}/],
    ['run.sh {out} {model}', /unknown placeholder \{model\}/],
    ['   ', /empty/],
    [`run.sh '{out}`, /unclosed ' quote/],
  ] as const) {
    assert.throws(
      () => trainerArgv(t, v),
      (e: Error) => e instanceof TrainStageError && e.reason === 'bad-input' && m.test(e.message),
      t,
    );
  }
});

// @part integration
/**
 * The training stage in one process (`trainRound`, the code under `fld train --local`): the reference
 * trainer on the export fixture's round (5 steps) gives a registered, loadable model and `_train.json`;
 * a second call is a no-op; and each failure of the contract (trainer exits 3, hangs past its timeout,
 * writes a model that does not load, bad --init) is named, registers nothing, writes no marker and
 * leaves the model registered before it as it was. The failing trainers are real scripts under
 * test/fixtures/train/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { layout } from '../../pipeline/layout.ts';
import { TrainStageError } from '../../pipeline/train/train-errors.ts';
import { trainRound, type TrainResult } from '../../pipeline/train/train-round.ts';
import { verifyFolder } from '../../specialists/registry/model-folder.ts';
import { PYTHON } from '../helpers/florence2-tiny.ts';
import { COLLECTION, FIXTURES, sandbox, TINY_TRAINER, type Sandbox } from './helpers.ts';

let sb: Sandbox;
let first: TrainResult;
const lines: string[] = [];
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const marker = () => join(sb.storageDir, layout.train(COLLECTION, 0));
const registered = () => join(sb.registry, `${COLLECTION}-round-0`, 'fld-model.json');

before(async () => {
  sb = await sandbox('local');
  first = await trainRound({
    config: sb.config(TINY_TRAINER),
    storage: sb.storage,
    collection: COLLECTION,
    round: 0,
    registry: sb.registry,
    steps: 5,
    onLine: (l) => {
      lines.push(l.line);
    },
  });
});
after(async () => {
  await sb.storage.close();
  rmSync(sb.root, { recursive: true, force: true });
});

test('the reference trainer gives a model registered as <collection>-round-<R>, with _train.json last', async () => {
  assert.equal(first.model, 'demo-round-0');
  assert.equal(first.resumed, false);
  assert.equal(first.dir, join(sb.registry, 'demo-round-0'));
  const m = await verifyFolder(first.dir);
  assert.equal(m.name, 'demo-round-0');
  assert.equal(m.family, 'florence2');
  assert.deepEqual(m.tasks, ['<CAPTION>', '<OD>']);
  assert.deepEqual(m.trained_on, { collection: 'demo', round: 0 }, 'its lineage');
  assert.equal(m.init, null, 'trained from scratch');
  const onDisk = JSON.parse(readFileSync(marker(), 'utf8'));
  assert.equal(onDisk.fld_model_sha256, sha(registered()));
  assert.equal(onDisk.model, 'demo-round-0');
  assert.equal(onDisk.metrics.steps, 5);
  assert.ok(Number.isFinite(onDisk.metrics.valid.loss) && Number.isFinite(onDisk.metrics.final_loss));
  assert.match(onDisk.check, /^<CAPTION> /, 'the check generated a caption');
  // progress streamed line by line: the contract's events in order
  const events = lines.map((l) => JSON.parse(l).event);
  assert.equal(events.filter((e) => e === 'step').length, 5);
  assert.deepEqual([events[0], events.at(-1)], ['export', 'done']);
  // nothing left beside the registered model (temp out folders are dot-folders of the registry)
  assert.deepEqual(readdirSync(sb.registry), ['demo-round-0']);
});

test('a second run with the marker and the model in place does nothing', async () => {
  const before = statSync(registered()).mtimeMs;
  const again = await trainRound({
    config: sb.config(`/bin/sh ${join(FIXTURES, 'exit3.sh')} {out}`),
    storage: sb.storage,
    collection: COLLECTION,
    round: 0,
    registry: sb.registry,
  });
  assert.equal(again.resumed, true);
  assert.equal(again.fld_model_sha256, first.fld_model_sha256);
  assert.equal(statSync(registered()).mtimeMs, before);
});

/** Whether a process is gone (or a zombie waiting for init to reap it), polling a few seconds: a killed process takes a moment to go. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    let stat = '';
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (/^\d+ \(.*\) Z/.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Runs round 0 again without its marker through `trainCommand`; must fail for `reason` and leave the registered model as it was. */
async function failsWith(
  trainCommand: string,
  reason: string,
  message: RegExp,
  extra: { timeoutS?: number; init?: string } = {},
): Promise<void> {
  rmSync(marker(), { force: true });
  const was = sha(registered());
  await assert.rejects(
    trainRound({
      config: sb.config(trainCommand),
      storage: sb.storage,
      collection: COLLECTION,
      round: 0,
      registry: sb.registry,
      steps: 5,
      ...extra,
    }),
    (e: Error) => {
      assert.ok(e instanceof TrainStageError, `${e.name}: ${e.message}`);
      assert.equal(e.reason, reason, e.message);
      assert.match(e.message, message);
      return true;
    },
  );
  assert.ok(!existsSync(marker()), 'no _train.json');
  assert.equal(sha(registered()), was, 'the registered model is unchanged');
  assert.deepEqual(readdirSync(sb.registry), ['demo-round-0'], 'no other model or temp folder');
}

test('a trainer that exits 3 fails the stage, saying so with its stderr', async () => {
  await failsWith(
    `/bin/sh ${join(FIXTURES, 'exit3.sh')} {out}`,
    'trainer-exit',
    /exited with code 3.*out of memory \(pretend\)/,
  );
});

test('a trainer that hangs past its timeout is killed with its process group', async () => {
  const pidFile = join(sb.root, 'hang.pid');
  await failsWith(
    `/bin/sh ${join(FIXTURES, 'hang.sh')} ${pidFile} {out}`,
    'timeout',
    /ran past its timeout of 2 s and was killed/,
    { timeoutS: 2 },
  );
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0);
  assert.ok(await gone(pid), `the trainer's child ${pid} is gone too`);
});

test('a trainer that writes a model that does not load fails the stage as a bad model', async () => {
  await failsWith(`${PYTHON} ${join(FIXTURES, 'garbage.py')} --out {out}`, 'bad-model', /does not load and generate/);
});

test('an --init that is neither registered nor a model folder is bad input, before anything runs', async () => {
  await failsWith(TINY_TRAINER, 'bad-input', /--init nowhere-round-9 is neither a model registered/, {
    init: 'nowhere-round-9',
  });
});

test('a trainCommand without {out} or with an unknown placeholder is refused by name', async () => {
  await failsWith(`${PYTHON} -m training.train --export {export}`, 'bad-input', /must pass \{out\}/);
  await failsWith(`${PYTHON} -m training.train --out {out} --data {data}`, 'bad-input', /unknown placeholder \{data\}/);
});

test('training from the registered model by name (--init) starts from its weights and registers the new one in its place', async () => {
  rmSync(marker(), { force: true });
  const was = sha(registered());
  const r = await trainRound({
    config: sb.config(TINY_TRAINER),
    storage: sb.storage,
    collection: COLLECTION,
    round: 0,
    registry: sb.registry,
    steps: 2,
    init: 'demo-round-0',
  });
  assert.equal(r.resumed, false);
  assert.equal(r.init, join(sb.registry, 'demo-round-0'));
  assert.equal((await verifyFolder(r.dir)).init, 'demo-round-0', 'the lineage names a registered init by its name');
  assert.equal(r.metrics?.steps, 2);
  assert.notEqual(sha(registered()), was, 'a new model is registered');
  assert.equal(JSON.parse(readFileSync(marker(), 'utf8')).fld_model_sha256, sha(registered()));
  // the trainer started from the registered weights: its metrics name the init folder it read
  assert.equal(JSON.parse(readFileSync(join(r.dir, 'metrics.json'), 'utf8')).init, join(sb.registry, 'demo-round-0'));
});

// @part integration
/**
 * The reference trainer (training/train.py): bad exports are refused by name with nothing written,
 * and a tiny run of each family gives a model folder that onnxruntime-node loads, with metrics.json
 * and an fld-model.json whose sha256s match. Uses a 16-image demo world and a few training steps.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { PYTHON, REPO_ROOT } from '../helpers/florence2-tiny.ts';
import { checkModel } from '../../pipeline/train/check-model.ts';
import { Florence2Tokenizer } from '../../specialists/florence2/tokenizer.ts';

let work: string;
let exportDir: string;

function fld(...args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'pipeline/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
}

function train(...args: string[]) {
  const r = spawnSync(PYTHON, ['-m', 'training.train', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function checkManifest(dir: string) {
  const m = JSON.parse(readFileSync(join(dir, 'fld-model.json'), 'utf8'));
  assert.ok(m.files.length > 0);
  for (const f of m.files) {
    assert.equal(sha256(join(dir, f.path)), f.sha256, `sha256 of ${f.path}`);
    assert.equal(readFileSync(join(dir, f.path)).length, f.size, `size of ${f.path}`);
  }
  return m;
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'fld-trainer-'));
  fld('world', 'generate', '--out', join(work, 'world'), '--images', '16', '--seed', '7');
  fld(
    'world',
    'export-noisy',
    '--world',
    join(work, 'world'),
    '--out',
    join(work, 'export'),
    '--format',
    'jsonl',
    '--combined',
    '--valid-fraction',
    '0.3',
  );
  exportDir = join(work, 'export', 'all');
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the good export with `mutate` applied, trained into a fresh folder: must fail, write nothing. */
function refuses(name: string, mutate: (dir: string) => void, message: RegExp): void {
  const dir = join(work, `bad-${name}`);
  cpSync(exportDir, dir, { recursive: true });
  mutate(dir);
  const out = join(work, `model-${name}`);
  const r = train('--export', dir, '--out', out, '--family', 'detector', '--steps', '2');
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.ok(!existsSync(out), 'no model folder');
  assert.deepEqual(
    readdirSync(work).filter((f) => f.startsWith(`model-${name}`)),
    [],
    'no temp folder left',
  );
}

const annotations = (dir: string, split: string) => join(dir, split, 'annotations.jsonl');
const editLines = (path: string, f: (rows: Record<string, unknown>[]) => Record<string, unknown>[]) => {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  writeFileSync(
    path,
    f(rows)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
};

test('a row without its suffix column is refused, naming the file, line and column', () => {
  refuses(
    'columns',
    (d) =>
      editLines(annotations(d, 'train'), (rows) =>
        rows.map((r, i) => {
          if (i !== 2) return r;
          const { suffix: _drop, ...rest } = r;
          return rest;
        }),
      ),
    /train\/annotations\.jsonl line 3: missing column suffix/,
  );
});

test('an empty split is refused by name', () => {
  refuses('empty', (d) => writeFileSync(annotations(d, 'valid'), ''), /split valid is empty/);
});

test('a suffix with <loc_1000> is refused', () => {
  refuses(
    'loc',
    (d) =>
      editLines(annotations(d, 'train'), (rows) =>
        rows.map((r, i) => (i === 0 ? { ...r, suffix: 'circle<loc_1><loc_2><loc_1000><loc_40>' } : r)),
      ),
    /line 1: suffix has <loc_1000>/,
  );
});

test('a missing image file is refused, naming the file', () => {
  let name = '';
  refuses(
    'image',
    (d) => {
      name = JSON.parse(readFileSync(annotations(d, 'valid'), 'utf8').split('\n')[0]).image;
      unlinkSync(join(d, 'valid', name));
    },
    /image file \d+\.png does not exist/,
  );
  assert.ok(name);
});

test('--aux-grid on an export without <OD> rows, and --detach-encoder without an auxiliary loss or --init, are refused before training', () => {
  const dir = join(work, 'bad-no-od');
  cpSync(exportDir, dir, { recursive: true });
  editLines(annotations(dir, 'train'), (rows) => rows.filter((r) => r.task !== '<OD>'));
  const out = join(work, 'model-no-od');
  const r = train('--export', dir, '--out', out, '--tasks', '<CAPTION>', '--steps', '2', '--aux-grid', '1');
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, /<OD>/);
  assert.ok(!existsSync(out), 'no model folder');
  const d = train('--export', exportDir, '--out', out, '--tasks', '<CAPTION>', '--steps', '2', '--detach-encoder');
  assert.equal(d.code, 2, `exit code; stderr: ${d.stderr}`);
  assert.match(d.stderr, /--detach-encoder needs --aux-grid, --aux-image-words or --init/);
  assert.ok(!existsSync(out), 'no model folder');
});

test("--detach-encoder from --init with no auxiliary loss keeps the init model's vision side and encoder, and trains the decoder", () => {
  const init = join(REPO_ROOT, 'models', 'demo-florence2');
  const out = join(work, 'model-detached');
  const r = train(
    '--export',
    exportDir,
    '--out',
    out,
    '--init',
    init,
    '--tasks',
    '<CAPTION>',
    '--steps',
    '2',
    '--batch',
    '2',
    '--threads',
    '1',
    '--no-fp16',
    '--detach-encoder',
  );
  assert.equal(r.code, 0, r.stderr);
  // which parameters moved, by name prefix, read by torch itself
  const moved = execFileSync(
    PYTHON,
    [
      '-c',
      [
        'import sys, torch',
        'a = torch.load(sys.argv[1], map_location="cpu")["state_dict"]; b = torch.load(sys.argv[2], map_location="cpu")["state_dict"]',
        // BatchNorm's running statistics are buffers that follow the data in training mode; weights are what a detach freezes
        'moved = sorted({k.split(".")[0] for k in a if not k.endswith(("running_mean", "running_var", "num_batches_tracked")) and not torch.equal(a[k], b[k])})',
        'print(" ".join(moved))',
      ].join('\n'),
      join(init, 'model.pt'),
      join(out, 'model.pt'),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  )
    .trim()
    .split(' ');
  assert.ok(moved.includes('decoder_layers'), `the decoder trains: ${moved}`);
  for (const frozen of ['vision', 'encoder_layers', 'enc_layernorm_embedding', 'enc_positions'])
    assert.ok(!moved.includes(frozen), `${frozen} unchanged: moved ${moved}`);
});

test('a failure after the export checks (bad --init) leaves no folder either', () => {
  const out = join(work, 'model-init');
  const r = train(
    '--export',
    exportDir,
    '--out',
    out,
    '--family',
    'detector',
    '--steps',
    '2',
    '--init',
    join(work, 'nowhere'),
  );
  assert.notEqual(r.code, 0);
  assert.ok(!existsSync(out));
  assert.deepEqual(
    readdirSync(work).filter((f) => f.startsWith('model-init')),
    [],
  );
});

test('a tiny detector run gives a YOLO-layout ONNX model with its classes, metrics and progress lines', async () => {
  const out = join(work, 'detector');
  const r = train('--export', exportDir, '--out', out, '--family', 'detector', '--steps', '3', '--batch', '4');
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).event);
  assert.deepEqual([events[0], events.at(-1)], ['export', 'done']);
  assert.ok(events.includes('step') && events.includes('eval'));
  const m = checkManifest(out);
  assert.equal(m.family, 'detector');
  assert.ok(m.classes.length >= 2, `classes ${m.classes}`);
  // <OD> lists a class once before all its boxes; a parser that wants one box per name turns the
  // second box's tokens into class names like 'loc_143>heart'
  assert.ok(
    m.classes.every((c: string) => /^[a-z][a-z ]*$/.test(c)),
    `classes are shape names: ${m.classes}`,
  );
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.loss_curve.at(-1).step, 3);
  assert.ok(Number.isFinite(metrics.valid.loss));
  const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
  const x = new ort.Tensor('float32', new Float32Array(2 * 3 * 256 * 256).fill(114 / 255), [2, 3, 256, 256]);
  const y = (await session.run({ images: x })).output0;
  assert.deepEqual(y.dims, [2, 4 + m.classes.length, 32 * 32 + 16 * 16]);
  const v = y.data as Float32Array;
  const anchors = y.dims[2];
  for (let c = 4; c < y.dims[1]; c++) {
    const s = v[c * anchors + 5];
    assert.ok(s >= 0 && s <= 1, `class score ${s} is a probability`);
  }

  // the ONNX graph computes what the PyTorch model does, on a letterboxed world image
  const image = join(work, 'world', 'collection', 'images', '000000.png');
  const dump = join(work, 'detector-dump');
  execFileSync(
    PYTHON,
    [
      '-c',
      [
        'import sys, torch, numpy as np',
        'from PIL import Image',
        'from training.trainer.train_detector import load',
        'from training.trainer.detector import letterbox',
        'm, _ = load(sys.argv[1]); t = letterbox(Image.open(sys.argv[2]), 256)[0].float()[None] / 255',
        'np.asarray(t, np.float32).tofile(sys.argv[3] + ".x")',
        'with torch.no_grad(): np.asarray(m(t), np.float32).tofile(sys.argv[3] + ".y")',
      ].join('\n'),
      out,
      image,
      dump,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
  );
  const f32 = (path: string) => new Float32Array(new Uint8Array(readFileSync(path)).buffer);
  const got = (await session.run({ images: new ort.Tensor('float32', f32(`${dump}.x`), [1, 3, 256, 256]) })).output0
    .data as Float32Array;
  const want = f32(`${dump}.y`);
  assert.equal(got.length, want.length);
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
  assert.ok(diff < 1e-3, `ONNX and PyTorch outputs differ by ${diff}`);
});

test('labels may use every decoder position by default; a shorter --max-target-tokens cuts them; a longer one is refused', () => {
  const start = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'start');
  const args = (out: string, ...more: string[]) => [
    '--export',
    exportDir,
    '--out',
    join(work, out),
    '--steps',
    '1',
    '--batch',
    '2',
    '--threads',
    '1',
    '--no-fp16',
    '--tasks',
    '<DETAILED_CAPTION>',
    ...more,
  ];
  // the world's detailed texts are 100-480 bytes: under the new model's 512 positions, over 64
  const whole = train(...args('f2-whole'));
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(start(whole.stdout).truncated_labels, 0);
  const cut = train(...args('f2-cut', '--max-target-tokens', '64'));
  assert.equal(cut.code, 0, cut.stderr);
  assert.equal(start(cut.stdout).truncated_labels, start(cut.stdout).train_rows);
  const over = train(...args('f2-over', '--max-target-tokens', '600'));
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /max_target_tokens 600 must be within 2\.\.512/);
  assert.ok(!existsSync(join(work, 'f2-over')), 'no model folder');
});

test('--bpe-merges grows a byte-level --init vocabulary with word tokens the runner decodes as PyTorch does; a grown init keeps its merges', async () => {
  const init = join(REPO_ROOT, 'models', 'demo-florence2');
  const out = join(work, 'model-bpe');
  const args = (o: string, from: string) => [
    '--export',
    exportDir,
    '--out',
    o,
    '--init',
    from,
    '--tasks',
    '<CAPTION>,<DETAILED_CAPTION>,<OD>',
    '--steps',
    '2',
    '--batch',
    '2',
    '--threads',
    '1',
    '--no-fp16',
    '--detach-encoder',
    '--bpe-merges',
    '300',
  ];
  const r = train(...args(out, init));
  assert.equal(r.code, 0, r.stderr);
  const tokenizerEvent = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'tokenizer');
  const grew = tokenizerEvent(r.stdout);
  const json = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const before = json(init, 'tokenizer.json').model;
  const after = json(out, 'tokenizer.json').model;
  assert.equal(before.merges.length, 0);
  assert.ok(grew && grew.merges > 20 && grew.merges <= 300, `tokenizer event ${JSON.stringify(grew)}`);
  assert.equal(after.merges.length, grew.merges);
  assert.equal(json(out, 'metrics.json').bpe_merges, grew.merges);
  const size = Object.keys(after.vocab).length;
  assert.equal(size, Object.keys(before.vocab).length + grew.merges);
  assert.equal(json(out, 'config.json').vocab_size, size);
  for (const [t, id] of Object.entries(before.vocab)) assert.equal(after.vocab[t], id, `${t} keeps its id`);

  // PyTorch's greedy ids decode to the same text in the runner's tokenizer, whatever mix of byte and
  // word tokens two steps of training pick (test/training/florence2_layout.test.ts covers word tokens' ids)
  const py = execFileSync(
    PYTHON,
    [
      '-m',
      'training.florence2_layout.decode',
      out,
      '--steps',
      '20',
      '--prompt',
      '<CAPTION>',
      '--prompt',
      '<DETAILED_CAPTION>',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
  )
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ids: number[]; text: string });
  const tok = new Florence2Tokenizer(json(out, 'tokenizer.json'), json(out, 'tokenizer_config.json'));
  for (const p of py) assert.equal(tok.decode(p.ids), p.text);
  assert.equal(tok.encode(' circle').length, 3, 'a frequent word is one token between <s> and </s>');
  // the engine's own check before registering: loads in onnxruntime-node and generates
  const images = join(work, 'world', 'collection', 'images');
  const image = join(images, readdirSync(images).find((f) => f.endsWith('.png'))!);
  const checked = await checkModel(out, image);
  assert.match(checked.sample, /^<CAPTION> /);

  const again = train(...args(join(work, 'model-bpe-2'), out));
  assert.equal(again.code, 0, again.stderr);
  assert.equal(tokenizerEvent(again.stdout), undefined, 'no merges learned on top of merges');
  assert.deepEqual(json(join(work, 'model-bpe-2'), 'tokenizer.json').model.merges, after.merges);
});

test('a tiny Florence-2-layout run gives a loadable folder in the spike layout; beam search agrees with greedy', async () => {
  const out = join(work, 'florence2');
  const r = train(
    '--export',
    exportDir,
    '--out',
    out,
    '--steps',
    '2',
    '--batch',
    '4',
    '--no-fp16',
    '--tasks',
    '<CAPTION>,<OD>',
  );
  assert.equal(r.code, 0, r.stderr);
  const m = checkManifest(out);
  assert.equal(m.family, 'florence2');
  assert.deepEqual(m.tasks, ['<CAPTION>', '<OD>']);
  for (const f of [
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'metrics.json',
    'model.pt',
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  for (const g of ['vision_encoder', 'embed_tokens', 'encoder_model', 'decoder_model_merged']) {
    const s = await ort.InferenceSession.create(join(out, 'onnx', `${g}.onnx`));
    assert.ok(s.inputNames.length > 0, g);
  }
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.loss_curve.length, 2);
  assert.ok(metrics.valid.rows > 0 && Number.isFinite(metrics.valid.loss));

  // num_beams=1 is greedy; with length penalty 0 beams rank by log-probability, and three beams find
  // a sequence at least as likely as greedy's on this sample.
  const decode = (beams: number) =>
    execFileSync(
      PYTHON,
      [
        '-m',
        'training.florence2_layout.decode',
        out,
        '--steps',
        '12',
        '--num-beams',
        String(beams),
        '--length-penalty',
        '0',
        '--prompt',
        '<CAPTION>',
        '--prompt',
        '<OD>',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ids: number[]; logprob: number });
  const sample = JSON.parse(
    execFileSync(
      PYTHON,
      [
        '-m',
        'training.florence2_layout.decode',
        out,
        '--steps',
        '12',
        '--sample',
        join(work, 'sample'),
        '--prompt',
        '<CAPTION>',
        '--prompt',
        '<OD>',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
    ),
  );
  const one = decode(1);
  assert.deepEqual(
    one.map((x) => x.ids),
    sample.greedy_ids,
  );
  const three = decode(3);
  // Beams and greedy sum float32 log-probs in different orders, so the same sequence can differ in
  // the last bits (seen: -53.575504 vs -53.575500): compare up to that rounding.
  for (let b = 0; b < 2; b++)
    assert.ok(
      three[b].logprob >= one[b].logprob - 1e-5 * Math.abs(one[b].logprob),
      `beam ${three[b].logprob} < greedy ${one[b].logprob}`,
    );
});

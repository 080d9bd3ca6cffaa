// @part integration
/**
 * The reference trainer's `--device` and `--detach-encoder captions` (training/train.py), and the
 * localisation probe (training/trainer/localisation_probe.py): `--device cpu` writes the folder a
 * default run writes (same weights on a machine without CUDA), `--device cuda` without CUDA is refused
 * with exit 2 and nothing written, caption-only detach stops the caption rows' gradient at the encoder
 * states and lets the `<OD>` rows' through. A 16-image demo world and a few steps: seconds.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PYTHON, REPO_ROOT } from '../helpers/florence2-tiny.ts';

let work: string;
let exportDir: string;
const env = { ...process.env, PYTHONWARNINGS: 'ignore' };

function fld(...args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'pipeline/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
}

function python(args: string[]) {
  const r = spawnSync(PYTHON, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const train = (...args: string[]) => python(['-m', 'training.train', ...args]);
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const cudaAvailable = () => python(['-c', 'import torch; print(torch.cuda.is_available())']).stdout.trim() === 'True';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'fld-trainer-device-'));
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

test('--device cpu trains and writes the folder a default run writes, with the device in the start line and metrics', () => {
  const args = (out: string, ...more: string[]) => [
    '--export',
    exportDir,
    '--out',
    join(work, out),
    '--steps',
    '2',
    '--batch',
    '4',
    '--threads',
    '1',
    '--no-fp16',
    '--tasks',
    '<CAPTION>,<OD>',
    '--aux-grid',
    '1',
    ...more,
  ];
  const cpu = train(...args('f2-cpu', '--device', 'cpu'));
  assert.equal(cpu.code, 0, cpu.stderr);
  const start = events(cpu.stdout).find((e) => e.event === 'start')!;
  assert.equal(start.device, 'cpu');
  assert.equal(JSON.parse(readFileSync(join(work, 'f2-cpu', 'metrics.json'), 'utf8')).device, 'cpu');
  const auto = train(...args('f2-auto'));
  assert.equal(auto.code, 0, auto.stderr);
  const autoDevice = events(auto.stdout).find((e) => e.event === 'start')!.device;
  assert.equal(autoDevice, cudaAvailable() ? 'cuda' : 'cpu', 'auto: cuda where torch sees it, else cpu');
  assert.deepEqual(readdirSync(join(work, 'f2-cpu')).sort(), readdirSync(join(work, 'f2-auto')).sort());
  assert.deepEqual(readdirSync(join(work, 'f2-cpu', 'onnx')).sort(), readdirSync(join(work, 'f2-auto', 'onnx')).sort());
  if (autoDevice === 'cpu') {
    // the same seed on the same device gives the same weights: --device cpu changes nothing else
    const same = python([
      '-c',
      [
        'import sys, torch',
        'a = torch.load(sys.argv[1], map_location="cpu")["state_dict"]; b = torch.load(sys.argv[2], map_location="cpu")["state_dict"]',
        'print(sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a))',
      ].join('\n'),
      join(work, 'f2-cpu', 'model.pt'),
      join(work, 'f2-auto', 'model.pt'),
    ]);
    assert.equal(same.stdout.trim(), 'True', same.stderr);
  }
  const det = train(
    '--export',
    exportDir,
    '--out',
    join(work, 'det-cpu'),
    '--family',
    'detector',
    '--steps',
    '2',
    '--batch',
    '4',
    '--threads',
    '1',
    '--device',
    'cpu',
  );
  assert.equal(det.code, 0, det.stderr);
  assert.equal(events(det.stdout).find((e) => e.event === 'start')!.device, 'cpu');
  for (const f of ['model.onnx', 'model.pt', 'metrics.json', 'fld-model.json'])
    assert.ok(existsSync(join(work, 'det-cpu', f)), f);
});

test('--device cuda where torch sees no CUDA exits 2 with a clear message and writes nothing', (t) => {
  if (cudaAvailable()) {
    t.skip('this machine has CUDA');
    return;
  }
  for (const family of ['florence2', 'detector']) {
    const out = join(work, `cuda-${family}`);
    const r = train('--export', exportDir, '--out', out, '--family', family, '--steps', '1', '--device', 'cuda');
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /--device cuda: CUDA is not available .*use --device cpu or --device auto/);
    assert.equal(r.stdout, '', 'no progress line: refused before the export is read');
    assert.ok(!existsSync(out), 'no model folder');
  }
  const probe = python(['-m', 'training.trainer.localisation_probe', '--device', 'cuda', '--steps', '1']);
  assert.equal(probe.code, 2);
  assert.match(probe.stderr, /--device cuda: CUDA is not available/);
});

test('--detach-encoder captions: encoder and vision gradients are zero for caption rows, nonzero for <OD> rows', () => {
  // one <OD> row and one <CAPTION> row in a batch; each row's loss alone, backwards, per detach mode
  const r = python([
    '-c',
    `
import json, torch
from training.florence2_layout.config import ModelDims
from training.florence2_layout.model import Florence2Tiny
from training.florence2_layout.tokenizer import ByteTokenizer
from training.trainer.export_data import Row
from training.trainer.train_florence2 import decoder_states
torch.manual_seed(0)
tok = ByteTokenizer.default()
model = Florence2Tiny(ModelDims(image_size=64, vision_stem="bn", encoder_pre_ln=True, dropout=0.0), len(tok), tok.pad_id)
rows = [Row("a.png", "<OD>", "<OD>", "circle<loc_1><loc_2><loc_3><loc_4>"), Row("b.png", "<CAPTION>", "<CAPTION>", "a red circle")]
px = torch.randn(2, 3, 64, 64)
ids = torch.tensor([tok.encode("Locate the objects"), tok.encode("Describe the image")])
dec = torch.tensor([tok.encode("circle"), tok.encode("a red ")])
out = {}
for mode in ("none", "all", "captions"):
    for k, task in enumerate(("<OD>", "<CAPTION>")):
        model.zero_grad()
        embeds, emask = model.encoder_inputs(px, ids, torch.ones_like(ids))
        states = model.encode(embeds, emask)
        logits, _ = model.decode(model.embed_tokens(dec), decoder_states(states, rows, mode), emask)
        logits[k].logsumexp(-1).sum().backward()
        g = lambda prefix: sum(float(p.grad.abs().sum()) for n, p in model.named_parameters() if n.startswith(prefix) and p.grad is not None)
        out[f"{mode} {task}"] = {"vision": g("vision."), "encoder": g("encoder_layers."), "decoder": g("decoder_layers.")}
print(json.dumps(out))
`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(r.stdout) as Record<string, { vision: number; encoder: number; decoder: number }>;
  for (const [k, v] of Object.entries(g)) assert.ok(v.decoder > 0, `${k}: the decoder trains`);
  for (const side of ['vision', 'encoder'] as const) {
    assert.ok(g['captions <OD>'][side] > 0, `captions: the <OD> row trains the ${side}`);
    assert.equal(g['captions <CAPTION>'][side], 0, `captions: the <CAPTION> row leaves the ${side} alone`);
    assert.equal(g['all <OD>'][side], 0, `all: no row trains the ${side}`);
    assert.equal(g['all <CAPTION>'][side], 0, `all: no row trains the ${side}`);
    assert.ok(g['none <CAPTION>'][side] > 0, `none: every row trains the ${side}`);
  }
  // the <OD> row's gradient is the same with its caption neighbour detached as with nothing detached
  assert.ok(Math.abs(g['captions <OD>'].vision - g['none <OD>'].vision) <= 1e-6 * g['none <OD>'].vision);
});

test('--detach-encoder captions through the CLI: trains from scratch with no auxiliary loss, recorded in metrics; a bad mode is refused', () => {
  const out = join(work, 'f2-captions');
  const r = train(
    '--export',
    exportDir,
    '--out',
    out,
    '--steps',
    '2',
    '--batch',
    '4',
    '--threads',
    '1',
    '--no-fp16',
    '--tasks',
    '<CAPTION>,<OD>',
    '--device',
    'cpu',
    '--detach-encoder',
    'captions',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).detach_encoder, 'captions');
  const bad = train('--export', exportDir, '--out', join(work, 'f2-bad'), '--steps', '1', '--detach-encoder', 'od');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--detach-encoder: invalid choice: 'od'/);
});

test('the localisation probe: its greedy is the reference greedy; a tiny run prints a share per variant', () => {
  const same = python([
    '-c',
    `
import torch
from training.florence2_layout.config import ModelDims
from training.florence2_layout.decode import GenerationSettings, greedy as reference
from training.florence2_layout.model import Florence2Tiny
from training.florence2_layout.tokenizer import ByteTokenizer
from training.trainer.localisation_probe import greedy
torch.manual_seed(3)
tok = ByteTokenizer.default()
model = Florence2Tiny(ModelDims(image_size=64), len(tok), tok.pad_id).eval()
ids = torch.tensor([tok.encode("Locate the objects")] * 3)
embeds, mask = model.encoder_inputs(torch.randn(3, 3, 64, 64), ids, torch.ones_like(ids))
enc = model.encode(embeds, mask)
s = GenerationSettings(decoder_start_token_id=tok.eos_id, eos_token_id=tok.eos_id, pad_token_id=tok.pad_id, forced_bos_token_id=tok.bos_id, forced_eos_token_id=tok.eos_id)
print(reference(model, enc, mask, s, 12) == greedy(model, enc, mask, tok.eos_id, tok.bos_id, tok.eos_id, tok.pad_id, 12))
# the scorer: each held-out shape's own <OD> text finds it; a constant box finds almost none
import random
from training.trainer.localisation_probe import draw, od_suffix, score
rng = random.Random(1)
truth = [dict(zip(("shape", "box"), draw(rng, 128)[1::2]), size=128) for _ in range(100)]
print(score([od_suffix(t["shape"], t["box"], 128) for t in truth], truth)["found_iou50"], score(["square<loc_400><loc_400><loc_600><loc_600>"] * 100, truth)["found_iou50"] < 0.1)
`,
  ]);
  assert.deepEqual(same.stdout.trim().split('\n'), ['True', '1.0 True'], same.stderr);
  const r = python([
    '-m',
    'training.trainer.localisation_probe',
    '--device',
    'cpu',
    '--steps',
    '2',
    '--images',
    '10',
    '--heldout',
    '3',
    '--image-size',
    '64',
    '--threads',
    '1',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = events(r.stdout).filter((e) => e.event === 'localisation');
  assert.deepEqual(
    results.map((e) => [e.variant, e.detach_encoder, e.device]),
    [
      ['frozen', 'all', 'cpu'],
      ['od-trains-encoder', 'captions', 'cpu'],
    ],
  );
  for (const e of results) {
    assert.equal(e.heldout, 3);
    for (const k of ['found_iou50', 'box_iou50', 'mean_best_iou'])
      assert.ok((e[k] as number) >= 0 && (e[k] as number) <= 1, `${k} ${e[k]}`);
  }
});

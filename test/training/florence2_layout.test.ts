// @part integration
/**
 * The Florence-2-layout spike: a tiny model exported by training/florence2_layout loads and runs like
 * the public onnx-community export, in onnxruntime-node and in transformers.js, and its ONNX graphs
 * compute what the PyTorch model computes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync as mkdtempFs, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  env,
  AutoProcessor,
  AutoTokenizer,
  Florence2ForConditionalGeneration,
  Florence2Processor,
  RawImage,
  Tensor,
} from '@huggingface/transformers';
import { REPO_ROOT, runPython, tinyFlorence2Folder } from '../helpers/florence2-tiny.ts';
import { exportNoisy } from '../../demo/world/export-noisy.ts';
import { TASKS } from '../../demo/world/export-rows.ts';
import { DEFAULT_NOISE } from '../../demo/world/labels.ts';
import { smallWorld } from '../world/helpers.ts';

env.allowRemoteModels = false;

const temps: string[] = [];
function mkdtempSync(prefix: string): string {
  const d = mkdtempFs(prefix);
  temps.push(d);
  return d;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const GRAPHS = ['vision_encoder', 'embed_tokens', 'encoder_model', 'decoder_model_merged'] as const;
type Meta = { name: string; type: string; shape: (number | string)[] };
type Sample = {
  prompts: string[];
  pixel_shape: number[];
  input_ids: number[][];
  attention_mask: number[][];
  image_features: number[][][];
  last_hidden_state: number[][][];
  decoder_ids: number[][];
  logits: number[][][];
  greedy_max_new_tokens: number;
  greedy_ids: number[][];
};

let dir: string;
let cfg: any;
let gen: any;
let pre: any;

before(() => {
  dir = tinyFlorence2Folder();
  cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'));
  pre = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
});

/** The I/O that docs/florence2-formats.md section 1 publishes, with this folder's sizes read from config.json. */
function expectedIO(cfg: any, pre: any): Record<(typeof GRAPHS)[number], { inputs: Meta[]; outputs: Meta[] }> {
  const t = cfg.text_config;
  const D = t.d_model,
    H = t.decoder_attention_heads,
    hd = D / H,
    V = cfg.vocab_size,
    N = cfg.num_image_tokens;
  const size = pre.size.height;
  const kv = (prefix: string, seq: (enc: boolean) => string) => {
    const out: Meta[] = [];
    for (let i = 0; i < t.decoder_layers; i++) {
      for (const part of ['decoder', 'encoder']) {
        for (const k of ['key', 'value']) {
          out.push({
            name: `${prefix}.${i}.${part}.${k}`,
            type: 'float32',
            shape: ['batch_size', H, seq(part === 'encoder'), hd],
          });
        }
      }
    }
    return out;
  };
  const enc = ['batch_size', 'encoder_sequence_length'];
  return {
    vision_encoder: {
      inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch_size', 3, size, size] }],
      outputs: [{ name: 'image_features', type: 'float32', shape: ['batch_size', N, D] }],
    },
    embed_tokens: {
      inputs: [{ name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] }],
      outputs: [{ name: 'inputs_embeds', type: 'float32', shape: ['batch_size', 'sequence_length', D] }],
    },
    encoder_model: {
      inputs: [
        { name: 'inputs_embeds', type: 'float32', shape: [...enc, D] },
        { name: 'attention_mask', type: 'int64', shape: enc },
      ],
      outputs: [{ name: 'last_hidden_state', type: 'float32', shape: [...enc, D] }],
    },
    decoder_model_merged: {
      inputs: [
        { name: 'inputs_embeds', type: 'float32', shape: ['batch_size', 'decoder_sequence_length', D] },
        { name: 'encoder_hidden_states', type: 'float32', shape: [...enc, D] },
        { name: 'encoder_attention_mask', type: 'int64', shape: enc },
        ...kv('past_key_values', (e) => (e ? 'encoder_sequence_length_out' : 'past_decoder_sequence_length')),
        { name: 'use_cache_branch', type: 'bool', shape: [1] },
      ],
      outputs: [
        { name: 'logits', type: 'float32', shape: ['batch_size', 'decoder_sequence_length', V] },
        ...kv('present', (e) =>
          e ? 'encoder_sequence_length_out' : 'past_decoder_sequence_length + decoder_sequence_length',
        ),
      ],
    },
  };
}

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): Meta[] {
  return list.map((m) => {
    assert.ok(m.isTensor, `${m.name} is not a tensor`);
    return { name: m.name, type: m.type, shape: [...m.shape] };
  });
}

async function checkIO(folder: string, suffixes: string[]) {
  const json = (f: string) => JSON.parse(readFileSync(join(folder, f), 'utf8'));
  const want = expectedIO(json('config.json'), json('preprocessor_config.json'));
  for (const g of GRAPHS) {
    for (const suffix of suffixes) {
      const s = await ort.InferenceSession.create(join(folder, 'onnx', `${g}${suffix}.onnx`));
      assert.deepEqual(meta(s.inputMetadata), want[g].inputs, `${g}${suffix} inputs`);
      assert.deepEqual(meta(s.outputMetadata), want[g].outputs, `${g}${suffix} outputs`);
      await s.release();
    }
  }
}

test('onnxruntime-node loads all four graphs, fp32 and fp16, with the published names, dtypes and shapes', async () => {
  await checkIO(dir, ['', '_fp16']);
});

test('other dimensions (stride 16, d_model 64, 2 heads, 3 decoder layers) give the same layout, sizes from the configs', async () => {
  const work = mkdtempSync(join(tmpdir(), 'fld-f2-dims-'));
  writeFileSync(
    join(work, 'dims.json'),
    JSON.stringify({ patch_stride: 16, d_model: 64, attention_heads: 2, decoder_layers: 3, ffn_dim: 128 }),
  );
  runPython('export_onnx', [join(work, 'model'), '--dims', join(work, 'dims.json'), '--no-fp16']);
  const other = JSON.parse(readFileSync(join(work, 'model', 'config.json'), 'utf8'));
  assert.equal(other.num_image_tokens, 1 + (256 / 16) ** 2);
  assert.equal(other.text_config.decoder_layers, 3);
  await checkIO(join(work, 'model'), ['']);
});

test('the later architecture knobs (pre-LN, BatchNorm stem, max global token) keep the layout and are written only when set', async () => {
  const work = mkdtempSync(join(tmpdir(), 'fld-f2-knobs-'));
  const knobs = { encoder_pre_ln: true, decoder_pre_ln: true, vision_stem: 'bn', global_token: 'max' };
  writeFileSync(join(work, 'dims.json'), JSON.stringify(knobs));
  runPython('export_onnx', [join(work, 'model'), '--dims', join(work, 'dims.json'), '--no-fp16']);
  const set = JSON.parse(readFileSync(join(work, 'model', 'config.json'), 'utf8'));
  assert.deepEqual(Object.fromEntries(Object.keys(knobs).map((k) => [k, set.fld_dims[k]])), knobs);
  await checkIO(join(work, 'model'), ['']);
  const plain = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(
    Object.keys(knobs).filter((k) => k in plain.fld_dims),
    [],
    'default dims write none of the knobs',
  );
});

test('the merged decoder is an If on use_cache_branch; fp16 files hold float16 weights and keep float32 I/O', () => {
  const files = GRAPHS.flatMap((g) => [`${g}.onnx`, `${g}_fp16.onnx`]).map((f) => join(dir, 'onnx', f));
  const info = JSON.parse(runPython('inspect_onnx', files));
  const merged = info[join(dir, 'onnx', 'decoder_model_merged.onnx')];
  assert.deepEqual(merged.top_ops, ['If']);
  assert.equal(merged.if.condition, 'use_cache_branch');
  // the cache branch computes no cross-attention keys: it returns placeholders built by Constant
  assert.ok(merged.if.then_ops.includes('Constant'));
  assert.equal(merged.if.then_outputs.length, merged.outputs.length);
  for (const g of GRAPHS) {
    const fp32 = info[join(dir, 'onnx', `${g}.onnx`)];
    const fp16 = info[join(dir, 'onnx', `${g}_fp16.onnx`)];
    assert.deepEqual(
      Object.keys(fp16.initializer_types).filter((t) => t === 'float'),
      [],
      `${g}_fp16 has float32 weights`,
    );
    assert.ok((fp16.initializer_types.float16 ?? 0) > 0, `${g}_fp16 has no float16 weights`);
    assert.deepEqual(fp16.inputs, fp32.inputs);
    const size = (f: string) => statSync(join(dir, 'onnx', f)).size;
    assert.ok(size(`${g}_fp16.onnx`) < 0.6 * size(`${g}.onnx`), `${g}_fp16 is not about half the size`);
  }
});

/** The sample the PyTorch model computed (training/florence2_layout/decode.py --sample), made once. */
let cachedSample: { sample: Sample; pixels: Float32Array } | undefined;
function pytorchSample(): { sample: Sample; pixels: Float32Array } {
  if (cachedSample) return cachedSample;
  const out = mkdtempSync(join(tmpdir(), 'fld-f2-sample-'));
  runPython('decode', [dir, '--sample', out, '--steps', '8']);
  const sample = JSON.parse(readFileSync(join(out, 'sample.json'), 'utf8')) as Sample;
  const buf = readFileSync(join(out, 'pixel_values.f32'));
  cachedSample = {
    sample,
    pixels: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)),
  };
  return cachedSample;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const i64 = (rows: number[][]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

/**
 * Runs the ONNX graphs (`suffix` '' or '_fp16') the way the runner will, on the PyTorch sample's
 * inputs, and returns the largest differences from the PyTorch encoder states and logits.
 */
async function onnxVersusPytorch(suffix: string, sample: Sample, pixels: Float32Array) {
  const s = Object.fromEntries(
    await Promise.all(
      GRAPHS.map(async (g) => [g, await ort.InferenceSession.create(join(dir, 'onnx', `${g}${suffix}.onnx`))] as const),
    ),
  );
  const B = sample.prompts.length,
    D = cfg.text_config.d_model,
    V = cfg.vocab_size,
    H = cfg.text_config.decoder_attention_heads;
  const { image_features } = await s.vision_encoder.run({
    pixel_values: new ort.Tensor('float32', pixels, sample.pixel_shape),
  });
  const N = image_features.dims[1];
  const { inputs_embeds: prompt } = await s.embed_tokens.run({ input_ids: i64(sample.input_ids) });
  const S = prompt.dims[1];
  // encoder input = concat(image features, prompt embeds) along the sequence, mask = ones + prompt mask
  const L = N + S;
  const embeds = new Float32Array(B * L * D);
  const img = image_features.data as Float32Array,
    txt = prompt.data as Float32Array;
  for (let b = 0; b < B; b++) {
    embeds.set(img.subarray(b * N * D, (b + 1) * N * D), b * L * D);
    embeds.set(txt.subarray(b * S * D, (b + 1) * S * D), b * L * D + N * D);
  }
  const mask = i64(sample.attention_mask.map((row) => [...new Array(N).fill(1), ...row]));
  const { last_hidden_state } = await s.encoder_model.run({
    inputs_embeds: new ort.Tensor('float32', embeds, [B, L, D]),
    attention_mask: mask,
  });
  const lhs = last_hidden_state.data as Float32Array;
  const lhsSlice = sample.last_hidden_state.flatMap((rows, b) =>
    rows.flatMap((r, t) => r.map((_, k) => lhs[(b * L + t) * D + k])),
  );
  const imgSlice = sample.image_features.flatMap((rows, b) =>
    rows.flatMap((r, t) => r.map((_, k) => img[(b * N + t) * D + k])),
  );
  const encoder = Math.max(
    maxDiff(imgSlice, sample.image_features.flat(2)),
    maxDiff(lhsSlice, sample.last_hidden_state.flat(2)),
  );

  const hd = D / H;
  const empty = (n: number) => new ort.Tensor('float32', new Float32Array(0), [n, H, 0, hd]);
  const pastNames = s.decoder_model_merged.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const run = async (ids: number[][], past: Record<string, ort.Tensor> | null) => {
    const { inputs_embeds } = await s.embed_tokens.run({ input_ids: i64(ids) });
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds,
      encoder_hidden_states: last_hidden_state,
      encoder_attention_mask: mask,
      use_cache_branch: new ort.Tensor('bool', [past !== null], [1]),
    };
    for (const n of pastNames) feeds[n] = past?.[n] ?? empty(B);
    return s.decoder_model_merged.run(feeds);
  };
  const T = sample.decoder_ids[0].length;
  const want = sample.logits.flat(2);

  const full = await run(sample.decoder_ids, null);
  assert.deepEqual(full.logits.dims, [B, T, V]);
  const uncached = maxDiff(full.logits.data as Float32Array, want);

  // cached: step 0 without cache, then one token at a time; encoder entries kept from step 0
  let past: Record<string, ort.Tensor> | null = null;
  const stepLogits: number[][][] = Array.from({ length: B }, () => []);
  for (let t = 0; t < T; t++) {
    const out = await run(
      sample.decoder_ids.map((row) => [row[t]]),
      past,
    );
    const lg = out.logits.data as Float32Array;
    for (let b = 0; b < B; b++) stepLogits[b].push(Array.from(lg.subarray(b * V, (b + 1) * V)));
    const next: Record<string, ort.Tensor> = {};
    for (const n of pastNames) {
      const present = out[n.replace('past_key_values', 'present')];
      if (n.includes('.encoder.') && past) {
        // the cache branch returns an empty placeholder, as optimum's merged decoders do
        assert.equal(present.dims[0], 0, `${n}: expected a placeholder on the cache branch`);
        next[n] = past[n];
      } else {
        next[n] = present;
      }
    }
    assert.equal(next[pastNames[0]].dims[2], t + 1);
    past = next;
  }
  const cached = maxDiff(stepLogits.flat(2), want);
  for (const x of Object.values(s)) await x.release();
  return { encoder, uncached, cached, scale: maxDiff(want, new Float32Array(want.length)) };
}

test("ONNX logits equal the PyTorch model's without the cache and step by step with it (fp32 to 1e-4, fp16 to 1%)", async () => {
  const { sample, pixels } = pytorchSample();
  const fp32 = await onnxVersusPytorch('', sample, pixels);
  assert.ok(fp32.encoder < 1e-4 && fp32.uncached < 1e-4 && fp32.cached < 1e-4, `fp32 differs: ${JSON.stringify(fp32)}`);
  const fp16 = await onnxVersusPytorch('_fp16', sample, pixels);
  assert.ok(
    fp16.uncached < 0.01 * fp16.scale && fp16.cached < 0.01 * fp16.scale,
    `fp16 differs: ${JSON.stringify(fp16)}`,
  );
});

test('transformers.js loads the folder and generates for <CAPTION>, <OD> and <CAPTION_TO_PHRASE_GROUNDING>, fp32 and fp16', async () => {
  const { sample, pixels } = pytorchSample();
  const processor = (await AutoProcessor.from_pretrained(dir)) as Florence2Processor;
  assert.ok(processor instanceof Florence2Processor);
  const size = pre.size.height;
  const rgb = new Uint8ClampedArray(size * 3 * (size / 2)).map((_, i) => (i * 37) % 256);
  const image = new RawImage(rgb, size, size / 2, 3);
  const plane = sample.pixel_shape.slice(1).reduce((a, b) => a * b, 1);
  for (const dtype of ['fp32', 'fp16'] as const) {
    const model = await Florence2ForConditionalGeneration.from_pretrained(dir, { dtype });
    for (const [task, input] of [
      ['<CAPTION>', ''],
      ['<OD>', ''],
      ['<CAPTION_TO_PHRASE_GROUNDING>', 'a red circle'],
    ]) {
      const inputs = await processor(image, task + input);
      assert.deepEqual(inputs.pixel_values.dims, [1, 3, size, size]);
      const ids = (await model.generate({ ...inputs, max_new_tokens: 6 })) as Tensor;
      const row = Array.from(ids.data as BigInt64Array, Number);
      assert.equal(row[0], gen.decoder_start_token_id, `${dtype} ${task}: starts with the decoder start token`);
      assert.equal(row[1], gen.forced_bos_token_id, `${dtype} ${task}: forced BOS`);
      assert.ok(row.length <= 7, `${dtype} ${task}: ${row.length} tokens for max_new_tokens 6`);
      const text = processor.batch_decode(ids, { skip_special_tokens: false })[0];
      const parsed = processor.post_process_generation(text, task, image.size) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), [task]);
      if (task !== '<CAPTION>') assert.deepEqual(Object.keys(parsed[task] as object).sort(), ['bboxes', 'labels']);
    }
    // same pixels and prompt as the PyTorch sample: transformers.js's greedy generate picks the same tokens
    for (let b = 0; b < sample.prompts.length; b++) {
      const ids = sample.input_ids[b].slice(
        0,
        sample.attention_mask[b].reduce((a, x) => a + x, 0),
      );
      const out = (await model.generate({
        input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
        attention_mask: new Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]),
        pixel_values: new Tensor('float32', pixels.slice(b * plane, (b + 1) * plane), [
          1,
          ...sample.pixel_shape.slice(1),
        ]),
        max_new_tokens: sample.greedy_max_new_tokens,
      })) as Tensor;
      const got = Array.from(out.data as BigInt64Array, Number);
      // fp16 rounding may flip a near-tie of random logits, so only fp32 must match token for token
      if (dtype === 'fp32') assert.deepEqual(got, sample.greedy_ids[b], `prompt ${sample.prompts[b]}`);
      else assert.ok(got.length === sample.greedy_ids[b].length && got.every((t) => t >= 0 && t < cfg.vocab_size));
    }
    await model.dispose();
  }
});

/** Python's and transformers.js's ids of every prompt and suffix of `rows` must be the same (tokenizer of `folder`). */
async function sameIdsInPythonAndTjs(rows: readonly { prefix: string; suffix: string }[], folder = dir): Promise<void> {
  const processor = (await AutoProcessor.from_pretrained(folder)) as Florence2Processor;
  const tokenizer = await AutoTokenizer.from_pretrained(folder);
  const tokenizerJson = join(folder, 'tokenizer.json');
  const python = (strings: string[], flags: string[]) =>
    runPython('tokenizer', [tokenizerJson, ...flags], strings.map((t) => JSON.stringify(t)).join('\n') + '\n')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[]);

  const suffixIds = python(
    rows.map((r) => r.suffix),
    [],
  );
  const promptIds = python(
    rows.map((r) => r.prefix),
    ['--prompt'],
  );
  assert.equal(suffixIds.length, rows.length);
  assert.equal(promptIds.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { suffix, prefix } = rows[i];
    const js = tokenizer.encode(suffix);
    assert.deepEqual(js, suffixIds[i], `suffix ids differ for ${JSON.stringify(suffix)}`);
    // the processor's prompt (task token -> English, input spliced in), tokenized as the processor does
    const prompt = processor.construct_prompts(prefix)[0];
    assert.notEqual(prompt, prefix, `${prefix}: the task maps were not applied`);
    assert.deepEqual(tokenizer.encode(prompt), promptIds[i], `prompt ids differ for ${JSON.stringify(prefix)}`);
    // loc tokens are single tokens, found by name in the vocabulary
    for (const loc of suffix.match(/<loc_\d{1,3}>/g) ?? []) {
      assert.ok(js.includes(tokenizer.convert_tokens_to_ids(loc)), `${loc} is not one token`);
    }
    assert.equal(tokenizer.decode(js), `<s>${suffix}</s>`, `round trip of ${JSON.stringify(suffix)}`);
  }
  if (folder === dir) assert.equal(tokenizer.get_vocab().size, cfg.vocab_size);
}

/** A demo-world export's rows, every task, noisy labels as the trainer is fed. */
async function worldExportRows(
  images: number,
  seed: number,
): Promise<{ task: string; prefix: string; suffix: string }[]> {
  const world = await smallWorld(images, seed, { wordProbability: 0.8 });
  temps.push(world);
  // through `fld world export-noisy`'s function, the world's own way to labels (tests outside
  // test/world may not read the truth: test/world/truth-isolation.test.ts)
  const out = join(world, 'export');
  const made = await exportNoisy({
    world,
    out,
    seed,
    noise: DEFAULT_NOISE,
    validFraction: 0,
    format: 'jsonl',
    combined: true,
  });
  return Object.values(made.exports)
    .flatMap((e) => e.files)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(isAbsolute(f) ? f : join(out, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { task: string; prefix: string; suffix: string }),
    );
}

test('Python and transformers.js tokenize every prompt and suffix of a sample export to the same ids', async () => {
  // hand-made: every task kind, near-miss tokens (<loc_1000>, <loc_5, <OD>), non-ASCII, control characters
  const rows = readFileSync(join(REPO_ROOT, 'test/fixtures/florence2_sample_export.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { task: string; prefix: string; suffix: string });
  assert.ok(rows.length >= 50);
  await sameIdsInPythonAndTjs(rows);
});

test('Python and transformers.js tokenize every prompt and suffix of a demo-world export to the same ids', async () => {
  // what the trainer is fed: the export rows of a small demo world with noisy labels, every task
  const rows = await worldExportRows(8, 41);
  assert.deepEqual([...new Set(rows.map((r) => r.task))].sort(), [...TASKS].sort());
  assert.ok(rows.some((r) => /<loc_\d+>/.test(r.suffix)) && rows.some((r) => /<loc_\d+>/.test(r.prefix)));
  await sameIdsInPythonAndTjs(rows);
});

test('with BPE merges learned from a demo-world export (--bpe-merges), Python and transformers.js still give the same ids', async () => {
  // merges learned from one world's targets, checked on another world's rows and on the hand-made
  // near-misses: words the merges cover, words they half cover, and text they never saw
  const learnFrom = await worldExportRows(12, 43);
  const folder = mkdtempSync(join(tmpdir(), 'fld-bpe-'));
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')))
    writeFileSync(join(folder, f), readFileSync(join(dir, f)));
  const made = JSON.parse(
    runPython(
      'tokenizer',
      ['learn', join(dir, 'tokenizer.json'), '400', join(folder, 'tokenizer.json')],
      learnFrom.map((r) => JSON.stringify(r.suffix)).join('\n') + '\n',
    ),
  ) as { merges: number; vocab: number };
  assert.ok(made.merges > 50 && made.merges <= 400, `${made.merges} merges learned`);
  const spec = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8'));
  assert.equal(spec.model.merges.length, made.merges);
  assert.equal(Object.keys(spec.model.vocab).length, made.vocab);
  const tokenizer = await AutoTokenizer.from_pretrained(folder);
  // the base vocabulary keeps its ids; a frequent shape name is one token
  assert.equal(
    tokenizer.convert_tokens_to_ids('<loc_5>'),
    JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')).model.vocab['<loc_5>'],
  );
  const circle = tokenizer.encode(' circle', { add_special_tokens: false });
  assert.equal(circle.length, 1, `" circle" is ${circle.length} tokens`);
  const hand = readFileSync(join(REPO_ROOT, 'test/fixtures/florence2_sample_export.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { task: string; prefix: string; suffix: string });
  await sameIdsInPythonAndTjs([...(await worldExportRows(8, 44)), ...hand], folder);
});

test('the PyTorch beam search with one beam picks the greedy tokens; three beams score at least as well', () => {
  const { sample } = pytorchSample();
  const args = [dir, '--steps', String(sample.greedy_max_new_tokens)];
  for (const p of sample.prompts) args.push('--prompt', p);
  const parse = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ids: number[]; score: number; logprob: number });
  const one = parse(runPython('decode', [...args, '--num-beams', '1']));
  assert.deepEqual(
    one.map((r) => r.ids),
    sample.greedy_ids,
  );
  const three = parse(runPython('decode', [...args, '--num-beams', '3']));
  for (let b = 0; b < three.length; b++) {
    assert.ok(
      three[b].score >= one[b].score - 1e-5 * Math.abs(one[b].score),
      `beam score ${three[b].score} < greedy ${one[b].score}`,
    );
  }
});

test('byte-level models decode with no n-gram ban, and the committed demo captioner decodes as the exporter writes', () => {
  // a token is a byte here: Florence-2's 3-gram ban (over BPE tokens) would forbid any repeated 3 letters
  assert.equal(gen.no_repeat_ngram_size, 0);
  assert.equal(cfg.text_config.no_repeat_ngram_size, 0);
  const demo = (f: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'demo-florence2', f), 'utf8'));
  assert.deepEqual(demo('generation_config.json'), gen);
  assert.equal(demo('config.json').text_config.no_repeat_ngram_size, cfg.text_config.no_repeat_ngram_size);
  assert.equal(demo('config.json').text_config.num_beams, cfg.text_config.num_beams);
});

test('the exporter refuses bad dimensions by name before writing anything', () => {
  const work = mkdtempSync(join(tmpdir(), 'fld-f2-bad-'));
  const dims = join(work, 'dims.json');
  writeFileSync(dims, JSON.stringify({ d_model: 130, attention_heads: 4 }));
  const out = join(work, 'model');
  assert.throws(
    () => runPython('export_onnx', [out, '--dims', dims]),
    /d_model 130 is not divisible by attention_heads 4/,
  );
  assert.deepEqual(readdirSync(work), ['dims.json']);
  writeFileSync(dims, JSON.stringify({ image_size: 300 }));
  assert.throws(
    () => runPython('export_onnx', [out, '--dims', dims]),
    /image_size 300 is not a multiple of the stem stride 32/,
  );
  writeFileSync(dims, JSON.stringify({ max_position_embeddings: 60 }));
  assert.throws(
    () => runPython('export_onnx', [out, '--dims', dims]),
    /max_position_embeddings 60 leaves no room for a prompt after the 65 image tokens/,
  );
  assert.deepEqual(readdirSync(work), ['dims.json']);
});

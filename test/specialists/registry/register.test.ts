// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerModel } from '../../../specialists/registry/register.ts';
import { fileFor, verifyFolder } from '../../../specialists/registry/model-folder.ts';
import { listModels } from '../../../specialists/registry/registry.ts';

test('registerModel describes every file of a trained model folder and moves it into the registry', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fld-register-'));
  try {
    const out = join(root, 'train-out');
    await mkdir(join(out, 'onnx'), { recursive: true });
    await writeFile(join(out, 'config.json'), '{"model_type":"florence2"}');
    await writeFile(join(out, 'onnx', 'decoder_model_merged.onnx'), Buffer.alloc(1000, 3));
    const registry = join(root, 'models');
    const meta = {
      name: 'demo-r1',
      family: 'florence2' as const,
      version: 'round-1',
      tasks: ['<OD>'],
      roles: { 'onnx/decoder_model_merged.onnx': 'decoder' },
    };
    const { dir, manifest } = await registerModel(registry, out, meta);
    assert.equal(dir, join(registry, 'demo-r1'));
    assert.deepEqual(
      manifest.files.map((f) => [f.path, f.size, f.role]),
      [
        ['config.json', 26, undefined],
        ['onnx/decoder_model_merged.onnx', 1000, 'decoder'],
      ],
    );
    await verifyFolder(dir);
    assert.equal(fileFor(dir, manifest, 'decoder'), join(dir, 'onnx/decoder_model_merged.onnx'));
    assert.equal(
      await stat(out).then(
        () => true,
        () => false,
      ),
      false,
      'the source folder was moved',
    );
    assert.deepEqual(
      (await listModels(registry)).map((m) => m.manifest?.version),
      ['round-1'],
    );
    assert.match(await readFile(join(dir, 'fld-model.json'), 'utf8'), /"family": "florence2"/);

    await mkdir(out);
    await writeFile(join(out, 'config.json'), '{}');
    await assert.rejects(registerModel(registry, out, { ...meta, roles: {} }), /demo-r1 is already registered/);
    await assert.rejects(
      registerModel(registry, out, { ...meta, name: 'other' }),
      /role "decoder" names onnx\/decoder_model_merged.onnx, which is not in the folder/,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

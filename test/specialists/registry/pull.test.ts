// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { CatalogueEntry } from '../../../specialists/registry/catalogue.ts';
import { pullModel } from '../../../specialists/registry/pull.ts';
import { listModels } from '../../../specialists/registry/registry.ts';
import { verifyFolder } from '../../../specialists/registry/model-folder.ts';
import { startHubServer } from './hub-server.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'fld-pull-'));
  const hub = join(root, 'hub');
  const files: Record<string, Buffer> = {
    'acme/det/resolve/main/model.onnx': randomBytes(300_000),
    'acme/det/resolve/main/cfg/classes.txt': Buffer.from('cat\ndog\n'),
  };
  for (const [p, b] of Object.entries(files)) {
    await mkdir(dirname(join(hub, p)), { recursive: true });
    await writeFile(join(hub, p), b);
  }
  const server = await startHubServer(hub);
  const entry = (pinned: string | null): CatalogueEntry => ({
    name: 'tiny-det',
    family: 'detector',
    version: '1',
    repo: 'acme/det',
    classes: ['cat', 'dog'],
    input_size: 64,
    files: [
      { path: 'model.onnx', sha256: pinned, size: null, role: 'model' },
      { path: 'cfg/classes.txt', sha256: null, size: null },
    ],
  });
  return { root, registry: join(root, 'models'), server, files, entry };
}

async function withHub(f: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>) {
  const s = await setup();
  try {
    await f(s);
  } finally {
    await s.server.close();
    await rm(s.root, { recursive: true, force: true });
  }
}

test('pull downloads every file, records their sha256 and leaves a verifiable folder', () =>
  withHub(async (s) => {
    const model = s.files['acme/det/resolve/main/model.onnx'];
    const { dir, manifest } = await pullModel('tiny-det', {
      registry: s.registry,
      baseUrl: s.server.url,
      catalogue: [s.entry(sha(model))],
    });
    assert.deepEqual(await readFile(join(dir, 'model.onnx')), model);
    assert.equal(manifest.files[0].sha256, sha(model));
    assert.equal(manifest.files[0].size, model.length);
    assert.equal(manifest.files[1].path, 'cfg/classes.txt');
    await verifyFolder(dir);
    const listed = await listModels(s.registry);
    assert.deepEqual(
      listed.map((l) => l.manifest?.name),
      ['tiny-det'],
      'the cache folder is not listed as a model',
    );
  }));

test('an interrupted download resumes with a Range request from the bytes already on disk', () =>
  withHub(async (s) => {
    s.server.dropOnce.set('/acme/det/resolve/main/model.onnx', 100_000);
    const model = s.files['acme/det/resolve/main/model.onnx'];
    const { dir } = await pullModel('tiny-det', {
      registry: s.registry,
      baseUrl: s.server.url,
      catalogue: [s.entry(sha(model))],
    });
    const reqs = s.server.requests.filter((r) => r.path.endsWith('model.onnx'));
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0].range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(reqs[1].range ?? '')?.[1]);
    assert.ok(resumedAt >= 100_000 && resumedAt < model.length, `resumed at ${reqs[1].range}`);
    assert.deepEqual(await readFile(join(dir, 'model.onnx')), model);
  }));

test('a server without Range support restarts the interrupted file from the start', () =>
  withHub(async (s) => {
    s.server.ignoreRange = true;
    s.server.dropOnce.set('/acme/det/resolve/main/model.onnx', 120_000);
    const model = s.files['acme/det/resolve/main/model.onnx'];
    const { dir } = await pullModel('tiny-det', {
      registry: s.registry,
      baseUrl: s.server.url,
      catalogue: [s.entry(sha(model))],
    });
    assert.deepEqual(await readFile(join(dir, 'model.onnx')), model);
    assert.equal(s.server.requests.filter((r) => r.path.endsWith('model.onnx')).length, 2);
  }));

test('list reports a folder with a broken manifest instead of hiding it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fld-list-'));
  try {
    await mkdir(join(root, 'broken'));
    await writeFile(
      join(root, 'broken', 'fld-model.json'),
      JSON.stringify({ name: 'broken', family: 'detector', version: '1', files: [] }),
    );
    const [l] = await listModels(root);
    assert.equal(l.manifest, null);
    assert.match(l.problem!, /field "classes"|field "files"/);
    assert.deepEqual(await listModels(join(root, 'missing')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a wrong checksum rejects the file, leaves nothing in the registry and names the file and both hashes', () =>
  withHub(async (s) => {
    const wrong = 'a'.repeat(64);
    await assert.rejects(
      pullModel('tiny-det', { registry: s.registry, baseUrl: s.server.url, catalogue: [s.entry(wrong)] }),
      (e: Error) =>
        /model\.onnx/.test(e.message) &&
        e.message.includes(wrong) &&
        e.message.includes(sha(s.files['acme/det/resolve/main/model.onnx'])) &&
        /rejected/.test(e.message),
    );
    const left = await readdir(s.registry);
    assert.deepEqual(
      left.filter((n) => !n.startsWith('.cache')),
      [],
      'no model folder and no temp folder',
    );
    assert.deepEqual(await listModels(s.registry), []);
    const cached = await readdir(join(s.registry, '.cache', 'tiny-det'));
    assert.ok(
      !cached.includes('model.onnx') && !cached.includes('model.onnx.part'),
      'the bad file is not kept in the cache either',
    );
  }));

const run = promisify(execFile);
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', 'pipeline/cli/main.ts', ...args], { env: { ...process.env, ...env } });

test('fld models pull (built-in catalogue, hub URL from FLD_HUB_URL), list, and verify exiting 2 naming a changed file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fld-cli-'));
  const onnx = randomBytes(5000);
  await mkdir(join(root, 'hub/Ultralytics/YOLOv8/resolve/main'), { recursive: true });
  await writeFile(join(root, 'hub/Ultralytics/YOLOv8/resolve/main/yolov8n.onnx'), onnx);
  const server = await startHubServer(join(root, 'hub'));
  try {
    const env = { FLD_HUB_URL: server.url, FLD_MODELS: join(root, 'models') };
    const pulled = JSON.parse((await cli(['models', 'pull', 'yolov8n', '--json'], env)).stdout);
    assert.equal(pulled.manifest.classes.length, 80);
    const listed = JSON.parse((await cli(['models', 'list', '--json'], env)).stdout);
    assert.deepEqual(
      listed.models.map((m: { manifest: { name: string } }) => m.manifest.name),
      ['yolov8n'],
    );
    const dir = join(root, 'models', 'yolov8n');
    assert.match((await cli(['models', 'verify', dir])).stdout, /^ok: yolov8n/);
    const f = join(dir, 'yolov8n.onnx');
    const bytes = await readFile(f);
    bytes[10] ^= 0xff;
    await rm(f); // a hard link to the cache: replace, do not edit in place
    await writeFile(f, bytes);
    assert.equal((await stat(f)).size, onnx.length);
    await assert.rejects(
      cli(['models', 'verify', dir]),
      (e: { code: number; stderr: string }) =>
        e.code === 2 && /yolov8n\.onnx: sha256 [0-9a-f]{64}, manifest says/.test(e.stderr),
    );
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
});

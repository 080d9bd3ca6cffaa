import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_MANIFEST_FILE, ModelManifest, type ModelFile } from '../../schemas/model-manifest.ts';
import { validate } from '../../schemas/validate.ts';

/** A model folder whose files do not match its manifest; `file` names the first offender. */
export class ModelVerifyError extends Error {
  override name = 'ModelVerifyError';
  constructor(
    readonly dir: string,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MODEL_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(
      `${path}: cannot read the model manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message})`);
  }
  return validate(ModelManifest, json, path);
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Checks size then sha256 of every file the manifest lists; throws on the first mismatch, naming the file. */
export async function verifyFolder(dir: string): Promise<ModelManifest> {
  const m = await readManifest(dir);
  for (const f of m.files) await verifyFile(dir, f);
  return m;
}

async function verifyFile(dir: string, f: ModelFile): Promise<void> {
  const path = join(dir, f.path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ModelVerifyError(dir, f.path, `${path}: missing (listed in ${MODEL_MANIFEST_FILE})`);
  }
  if (size !== f.size) throw new ModelVerifyError(dir, f.path, `${path}: size ${size} bytes, manifest says ${f.size}`);
  const got = await sha256File(path);
  if (got !== f.sha256) throw new ModelVerifyError(dir, f.path, `${path}: sha256 ${got}, manifest says ${f.sha256}`);
}

/** The path of the file with `role` (or the only/first `.onnx` file for role `model`). */
export function fileFor(dir: string, m: ModelManifest, role: string): string {
  const f =
    m.files.find((x) => x.role === role) ??
    (role === 'model' ? m.files.find((x) => x.path.endsWith('.onnx')) : undefined);
  if (!f) throw new Error(`${join(dir, MODEL_MANIFEST_FILE)}: no file with role "${role}"`);
  return join(dir, f.path);
}

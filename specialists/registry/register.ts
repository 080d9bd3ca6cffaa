import { cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MODEL_MANIFEST_FILE, ModelManifest } from '../../schemas/model-manifest.ts';
import { validate } from '../../schemas/validate.ts';
import { sha256File } from './model-folder.ts';

export type ModelMeta = Omit<ModelManifest, 'files'> & { roles?: Record<string, string> };

/**
 * Writes `fld-model.json` for a folder of model files (every file below it, sha256 and size; `roles`
 * maps a relative path to its role), temp then rename. How the training stage describes the model it
 * just trained before registering it.
 */
export async function writeManifest(dir: string, meta: ModelMeta): Promise<ModelManifest> {
  const { roles = {}, ...rest } = meta;
  const paths = (await walk(dir))
    .filter((p) => p !== MODEL_MANIFEST_FILE && !p.endsWith('.part') && !p.startsWith(`${MODEL_MANIFEST_FILE}.tmp`))
    .sort();
  const files = [];
  for (const path of paths) {
    const full = join(dir, path);
    files.push({
      path,
      sha256: await sha256File(full),
      size: (await stat(full)).size,
      ...(roles[path] ? { role: roles[path] } : {}),
    });
  }
  for (const p of Object.keys(roles))
    if (!paths.includes(p)) throw new Error(`${dir}: role "${roles[p]}" names ${p}, which is not in the folder`);
  const manifest = validate(ModelManifest, { ...rest, files }, `${join(dir, MODEL_MANIFEST_FILE)}`);
  const tmp = join(dir, `${MODEL_MANIFEST_FILE}.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, join(dir, MODEL_MANIFEST_FILE));
  return manifest;
}

/**
 * Describes `dir` and puts it into the registry as `<registry>/<name>`: moved when on the same
 * filesystem, else copied to a temp folder beside the target and renamed. Refuses to replace a
 * registered model of the same name unless `replace` is set.
 */
export async function registerModel(
  registry: string,
  dir: string,
  meta: ModelMeta,
  opts: { replace?: boolean; keepSource?: boolean } = {},
): Promise<{ dir: string; manifest: ModelManifest }> {
  const manifest = await writeManifest(dir, meta);
  const target = join(registry, manifest.name);
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  ) {
    if (!opts.replace)
      throw new Error(`${target}: a model named ${manifest.name} is already registered (pass replace to overwrite)`);
    await rm(target, { recursive: true, force: true });
  }
  await mkdir(registry, { recursive: true });
  if (!opts.keepSource) {
    try {
      await rename(dir, target);
      return { dir: target, manifest };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    }
  }
  const tmp = join(registry, `.tmp-${manifest.name}-${process.pid}-${Date.now()}`);
  try {
    await cp(dir, tmp, { recursive: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (!opts.keepSource) await rm(dir, { recursive: true, force: true });
  return { dir: target, manifest };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out;
}

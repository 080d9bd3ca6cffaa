import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MODEL_MANIFEST_FILE, ModelManifest } from '../../schemas/model-manifest.ts';
import { validate } from '../../schemas/validate.ts';
import { CATALOGUE, catalogueEntry, DEFAULT_HUB_URL, fileUrl, type CatalogueEntry } from './catalogue.ts';
import { downloadFile, type DownloadOptions } from './download.ts';
import { sha256File } from './model-folder.ts';

export interface PullOptions {
  registry: string;
  /** Where downloads live until complete and checked (default `<registry>/.cache`); kept for re-pulls. */
  cache?: string;
  /** Hub base URL (default `FLD_HUB_URL` or https://huggingface.co). */
  baseUrl?: string;
  catalogue?: CatalogueEntry[];
  attempts?: number;
  onFile?: (path: string) => void;
  onProgress?: DownloadOptions['onProgress'];
}

/**
 * Downloads every file of a catalogue model into the cache (resuming partial files), checks sizes
 * and pinned hashes, then assembles `<registry>/<name>` in a temp folder with its `fld-model.json`
 * and renames it into place: a failed pull leaves nothing in the registry.
 */
export async function pullModel(name: string, opts: PullOptions): Promise<{ dir: string; manifest: ModelManifest }> {
  const entry = catalogueEntry(name, opts.catalogue ?? CATALOGUE);
  const base = opts.baseUrl ?? process.env.FLD_HUB_URL ?? DEFAULT_HUB_URL;
  const cache = join(opts.cache ?? join(opts.registry, '.cache'), entry.name);
  const files: ModelManifest['files'] = [];
  for (const f of entry.files) {
    opts.onFile?.(f.path);
    const dest = join(cache, f.path);
    await mkdir(dirname(dest), { recursive: true });
    const got = await cachedOrDownload(fileUrl(base, entry.repo, f.path), dest, {
      expectedSize: f.size,
      expectedSha256: f.sha256,
      attempts: opts.attempts,
      onProgress: opts.onProgress,
    });
    files.push({ path: f.path, sha256: got.sha256, size: got.size, ...(f.role ? { role: f.role } : {}) });
  }
  const manifest = validate(
    ModelManifest,
    {
      name: entry.name,
      family: entry.family,
      version: entry.version,
      source: `${base}/${entry.repo}`,
      ...(entry.classes ? { classes: entry.classes } : {}),
      ...(entry.tasks ? { tasks: entry.tasks } : {}),
      ...(entry.input_size ? { input_size: entry.input_size } : {}),
      files,
    },
    `${entry.name} manifest`,
  );

  const dir = join(opts.registry, entry.name);
  const tmp = join(opts.registry, `.tmp-${entry.name}-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (const f of files) {
      await mkdir(dirname(join(tmp, f.path)), { recursive: true });
      await link(join(cache, f.path), join(tmp, f.path)).catch(() => copyFile(join(cache, f.path), join(tmp, f.path)));
    }
    await writeFile(join(tmp, MODEL_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir, manifest };
}

/** A complete cached file is re-hashed, not re-downloaded; a pinned hash still has to match. */
async function cachedOrDownload(url: string, dest: string, o: DownloadOptions) {
  const exists = await stat(dest).then(
    () => true,
    () => false,
  );
  if (exists) {
    const sha256 = await sha256File(dest);
    const size = (await stat(dest)).size;
    if ((!o.expectedSha256 || sha256 === o.expectedSha256) && (o.expectedSize == null || size === o.expectedSize))
      return { sha256, size };
    await rm(dest);
  }
  return downloadFile(url, dest, o);
}

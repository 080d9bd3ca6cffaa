import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, open, opendir, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { NotFoundError, StorageError, type Storage } from './storage.ts';
import { checkKey, checkPrefix, compareKeys, TEMP_MARKER } from './keys.ts';
import { makeDir, renameFile, writeSynced } from './durable-file.ts';
import { syncFolder } from './folder-sync.ts';

/**
 * A Storage over a local folder. Writes go to a temp file in the target's own folder (same file
 * system, so rename is atomic), are fsynced, then renamed over the target; the folder is fsynced
 * too so the rename survives a crash (folder-sync.ts: puts in flight together share one). Temp
 * files are named `.<name>.fld-tmp-<pid>-<random>` and never listed.
 */
export class LocalStorage implements Storage {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = pathToFileURL(this.root).href;
  }

  private pathOf(key: string): string {
    checkKey(this.url, key);
    const p = join(this.root, ...key.split('/'));
    // checkKey already forbids '..'; this is the belt to its braces.
    if (!p.startsWith(this.root + sep))
      throw new StorageError(this.url, 'key check', key, 'resolves outside the root', false);
    return p;
  }

  private fail(op: string, key: string, e: unknown): never {
    if (e instanceof StorageError || e instanceof NotFoundError) throw e;
    const err = e as NodeJS.ErrnoException;
    // A folder is not an object (S3 has none): reading one is NotFound, like a missing key.
    if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR' || err?.code === 'EISDIR')
      throw new NotFoundError(this.url, key);
    const retryable = ['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'ENOSPC'].includes(err?.code ?? '');
    throw new StorageError(this.url, op, key, `${err?.code ?? 'error'}: ${err?.message ?? String(e)}`, retryable);
  }

  async put(key: string, body: Uint8Array | string | Readable, _opts?: { contentType?: string }): Promise<void> {
    const target = this.pathOf(key);
    const dir = dirname(target);
    const tmp = tempFile(target);
    try {
      if (typeof body === 'string' || body instanceof Uint8Array)
        await writeSynced(tmp, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
      else await writeStreamSynced(tmp, body);
      await renameFile(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      const err = e as NodeJS.ErrnoException;
      if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR' || err?.code === 'EISDIR' || err?.code === 'EEXIST') {
        throw new StorageError(this.url, 'put', key, `${err.code}: ${err.message}`, false);
      }
      this.fail('put', key, e);
    }
    await syncFolder(dir);
  }

  /**
   * The temp file is complete and fsynced before link() publishes it, and link() fails with EEXIST
   * where rename() would replace: so a reader never sees a partial object and a second writer loses.
   */
  async putIfAbsent(key: string, body: Uint8Array | string, _opts?: { contentType?: string }): Promise<boolean> {
    const target = this.pathOf(key);
    const dir = dirname(target);
    const tmp = tempFile(target);
    let created = false;
    try {
      await writeSynced(tmp, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
      try {
        await link(tmp, target);
        created = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException)?.code !== 'EEXIST') throw e;
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR' || err?.code === 'EISDIR') {
        throw new StorageError(this.url, 'putIfAbsent', key, `${err.code}: ${err.message}`, false);
      }
      this.fail('putIfAbsent', key, e);
    } finally {
      await rm(tmp, { force: true }).catch(() => {});
    }
    if (created) await syncFolder(dir);
    return created;
  }

  async get(key: string): Promise<Uint8Array> {
    const p = this.pathOf(key);
    try {
      const fh = await open(p, 'r');
      try {
        return new Uint8Array(await fh.readFile());
      } finally {
        await fh.close();
      }
    } catch (e) {
      this.fail('get', key, e);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const p = this.pathOf(key);
    checkRange(this.url, key, start, end);
    let fh: FileHandle | undefined;
    try {
      fh = await open(p, 'r');
      const { size } = await fh.stat();
      if (end > size)
        throw new StorageError(
          this.url,
          'getRange',
          key,
          `range [${start}, ${end}) is beyond the object's ${size} bytes`,
          false,
        );
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
        if (bytesRead === 0)
          throw new StorageError(this.url, 'getRange', key, `object shrank while reading [${start}, ${end})`, true);
        done += bytesRead;
      }
      return out;
    } catch (e) {
      return this.fail('getRange', key, e);
    } finally {
      await fh?.close().catch(() => {});
    }
  }

  async getStream(key: string): Promise<Readable> {
    const p = this.pathOf(key);
    try {
      // Opening first makes a missing key a NotFoundError here, not a later stream 'error'.
      const fh = await open(p, 'r');
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw new NotFoundError(this.url, key);
      }
      return fh.createReadStream();
    } catch (e) {
      this.fail('getStream', key, e);
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    const p = this.pathOf(key);
    try {
      const s = await stat(p);
      return s.isFile() ? { size: s.size } : null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      this.fail('head', key, e);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  /**
   * Walks folders lazily in S3's byte order: a folder sorts as its name plus '/', so that every key
   * under it lands exactly where S3 would put it among its siblings ('a-b' < 'a/x' < 'a0').
   */
  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(this.url, prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    const base = prefix.slice(0, cut);
    yield* this.walk(base, prefix.slice(cut));
  }

  private async *walk(dirKey: string, namePrefix: string): AsyncGenerator<string> {
    const items = (await this.entries('list', dirKey))
      .filter((d) => d.name.startsWith(namePrefix) && !d.name.includes(TEMP_MARKER) && (d.isFile() || d.isDirectory()))
      .map((d) => ({ name: d.name, dir: d.isDirectory(), order: d.isDirectory() ? `${d.name}/` : d.name }))
      .sort((a, b) => compareKeys(a.order, b.order));
    for (const it of items) {
      if (it.dir) yield* this.walk(`${dirKey}${it.name}/`, '');
      else yield `${dirKey}${it.name}`;
    }
  }

  /** One readdir of the prefix's folder, never a walk of its keys; a subfolder counts once a depth-first look finds a file. */
  async *listFolders(prefix: string): AsyncIterable<string> {
    checkPrefix(this.url, prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    const dirKey = prefix.slice(0, cut);
    const folders = (await this.entries('listFolders', dirKey))
      .filter((d) => d.isDirectory() && d.name.startsWith(prefix.slice(cut)) && !d.name.includes(TEMP_MARKER))
      .map((d) => `${dirKey}${d.name}/`)
      .sort(compareKeys);
    for (const folder of folders) if (await this.holdsObject(folder)) yield folder;
  }

  /** The entries of a folder key ('' or ending in '/'); none when it is not there. */
  private async entries(op: string, dirKey: string): Promise<Dirent[]> {
    try {
      return await readdir(this.dirOf(dirKey), { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      this.fail(op, dirKey, e);
    }
  }

  private dirOf(dirKey: string): string {
    return dirKey ? join(this.root, ...dirKey.split('/').filter(Boolean)) : this.root;
  }

  /**
   * Whether `list` would yield any key under the folder. opendir reads entries a batch at a time and
   * the walk stops at the first file, so a folder of a million shards costs one batch.
   */
  private async holdsObject(dirKey: string): Promise<boolean> {
    try {
      // Leaving the loop early closes the folder.
      for await (const d of await opendir(this.dirOf(dirKey))) {
        if (d.name.includes(TEMP_MARKER)) continue;
        if (d.isFile() || (d.isDirectory() && (await this.holdsObject(`${dirKey}${d.name}/`)))) return true;
      }
      return false;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      this.fail('listFolders', dirKey, e);
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    try {
      await rm(p, { force: true });
    } catch (e) {
      // Deleting a folder-like key is a no-op, as on S3.
      if (['EISDIR', 'ERR_FS_EISDIR'].includes((e as NodeJS.ErrnoException)?.code ?? '')) return;
      this.fail('delete', key, e);
    }
  }
}

export function checkRange(url: string, key: string, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new StorageError(
      url,
      'getRange',
      key,
      `bad range [${start}, ${end}): need integers 0 <= start <= end`,
      false,
    );
  }
}

/** A streamed body's temp file: made, written chunk by chunk, fsynced, closed (closed on failure too). */
async function writeStreamSynced(tmp: string, body: Readable): Promise<void> {
  await makeDir(dirname(tmp));
  const fh = await open(tmp, 'wx');
  try {
    for await (const chunk of body) await writeAll(fh, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

/** `.<name>.fld-tmp-<pid>-<random>` beside the target: the same file system, so rename is atomic; never listed. */
function tempFile(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
}

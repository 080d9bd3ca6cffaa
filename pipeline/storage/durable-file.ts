import { close, fsync, mkdir, open, rename, stat, write } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The syscalls of a durable local write, each one trip through libuv's thread pool. A small object's
 * put is bound by those trips, not by its bytes: the file is opened first and its folder made only
 * when the open says it is missing (a `mkdir -p` before every put was a fifth of the put), and the
 * steps chain plain callbacks in one promise, not one FileHandle promise per step
 * (`npm run bench -- storage`, its "LocalStorage.put of 40 KB" row; docs/decisions.md, "Storage").
 */

/** Creates `tmp` (it must not exist), writes all of `bytes`, fsyncs and closes it; on failure the fd is closed and the file left for the caller to remove. */
export function writeSynced(tmp: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    let madeDir = false;
    const start = () => open(tmp, 'wx', opened);
    const opened = (e: NodeJS.ErrnoException | null, fd: number) => {
      if (!e) return writeFrom(fd, 0);
      if (e.code !== 'ENOENT' || madeDir) return reject(e);
      madeDir = true;
      makeDir(dirname(tmp)).then(start, reject);
    };
    const fail = (fd: number, e: NodeJS.ErrnoException) => close(fd, () => reject(e));
    const writeFrom = (fd: number, off: number): void => {
      if (off < bytes.length)
        write(fd, bytes, off, bytes.length - off, null, (e, n) => (e ? fail(fd, e) : writeFrom(fd, off + n)));
      else fsync(fd, (e) => (e ? fail(fd, e) : close(fd, (c) => (c ? reject(c) : resolve()))));
    };
    start();
  });
}

export function renameFile(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => rename(from, to, (e) => (e ? reject(e) : resolve())));
}

/**
 * fsync of a folder, so a rename or link in it survives a crash. Some file systems refuse fsync on a
 * folder (EINVAL/EISDIR/EPERM); the entry is then as durable as that file system makes it.
 */
export function syncDir(dir: string): Promise<void> {
  return new Promise((resolve) =>
    open(dir, 'r', (e, fd) => {
      if (e) return resolve();
      fsync(fd, () => close(fd, () => resolve()));
    }),
  );
}

/**
 * `mkdir -p` that says why it failed: Node's recursive mkdir answers ENOENT when an ancestor cannot be
 * created (a read-only file system, no permission), which reads as "the folder is missing". On
 * ENOENT the first missing ancestor is created on its own, which fails with the real code (EROFS,
 * EACCES) for the caller to report.
 */
export async function makeDir(dir: string): Promise<void> {
  const mkdirP = (d: string, recursive: boolean) =>
    new Promise<void>((resolve, reject) => mkdir(d, { recursive }, (e) => (e ? reject(e) : resolve())));
  try {
    await mkdirP(dir, true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    for (let up = dirname(missing); up !== missing; missing = up, up = dirname(up)) {
      if (await new Promise<boolean>((resolve) => stat(up, (err) => resolve(!err)))) break;
    }
    await mkdirP(missing, false);
    throw e;
  }
}

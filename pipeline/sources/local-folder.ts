import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isInside } from './paths.ts';
import { isImageName, problem, SourceError, type Source, type SourceEntry } from './types.ts';

export interface FolderOptions {
  /** Follow symlinks that point outside the folder (default false: they are reported, not read). */
  allowOutside?: boolean;
}

/**
 * Every image file under a folder, recursively, chosen by extension (types.ts IMAGE_EXTENSIONS,
 * any case). Names are sorted by code unit at each level, so the order (and with it the shard
 * plan) is the same on every machine and file system. Symlinked files are followed when their
 * target stays inside the folder; symlinked folders are not walked (cycles), and both are
 * reported as problems rather than dropped without a word.
 */
export class LocalFolderSource implements Source {
  readonly type = 'folder' as const;
  readonly description: string;
  readonly root: string;
  constructor(
    dir: string,
    private readonly opts: FolderOptions = {},
  ) {
    this.root = resolve(dir);
    this.description = `folder ${this.root}`;
  }

  async *entries(): AsyncIterable<SourceEntry> {
    let realRoot: string;
    try {
      realRoot = await realpath(this.root);
      if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new SourceError(this.description, `cannot list: ${(e as Error).message}`, { cause: e });
    }
    yield* this.walk(this.root, realRoot);
  }

  private async *walk(dir: string, realRoot: string): AsyncIterable<SourceEntry> {
    let names;
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new SourceError(this.description, `cannot list ${dir}: ${(e as Error).message}`, { cause: e });
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of names) {
      const path = join(dir, d.name);
      const where = relative(this.root, path);
      if (d.isDirectory()) {
        yield* this.walk(path, realRoot);
      } else if (d.isFile()) {
        if (isImageName(d.name)) yield { kind: 'item', uri: path, where };
      } else if (d.isSymbolicLink() && isImageName(d.name)) {
        let target: string;
        try {
          target = await realpath(path);
        } catch {
          yield problem(this, 'missing_file', where, `symlink ${path} is broken`, { uri: path });
          continue;
        }
        if (!this.opts.allowOutside && !isInside(target, realRoot)) {
          yield problem(
            this,
            'outside_root',
            where,
            `symlink ${path} points to ${target}, outside the folder (allowOutside / --allow-outside permits it)`,
            { uri: path },
          );
        } else if (!(await stat(target)).isFile()) {
          yield problem(this, 'missing_file', where, `symlink ${path} does not point to a regular file`, { uri: path });
        } else {
          yield { kind: 'item', uri: path, where };
        }
      } else if (d.isSymbolicLink()) {
        const isDir = await stat(path).then(
          (s) => s.isDirectory(),
          () => false,
        );
        if (isDir)
          yield problem(
            this,
            'symlinked_folder',
            where,
            `symlinked folder ${path} is not walked (a link can make a cycle); list its target as its own source`,
            { uri: path },
          );
      } else if (isImageName(d.name)) {
        // a FIFO, socket or device named like an image: reading it could block or never end, so it is named and skipped
        const what = d.isFIFO() ? 'a FIFO' : d.isSocket() ? 'a socket' : 'a device';
        yield problem(this, 'missing_file', where, `${path} is ${what}, not a regular file`, { uri: path });
      }
    }
  }
}

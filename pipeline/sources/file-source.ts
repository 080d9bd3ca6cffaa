import { dirname, resolve } from 'node:path';
import type { PathOptions } from './paths.ts';
import { SourceError, type Source, type SourceEntry, type SourceType } from './types.ts';

export interface ManifestOptions extends PathOptions {
  /** Folder that relative paths resolve against and are confined to (default: the manifest's folder). */
  root?: string;
}

/** What the sources read from one local file share: its absolute path, the root, the name in messages. */
export abstract class FileSource<O extends PathOptions> implements Source {
  abstract readonly type: SourceType;
  readonly file: string;
  readonly root: string;
  readonly description: string;
  /** `rootOf` picks the root from the absolute file path; by default the file's folder. */
  constructor(
    label: string,
    file: string,
    protected readonly opts: O,
    rootOf: (file: string) => string = dirname,
  ) {
    this.file = resolve(file);
    this.root = resolve(rootOf(this.file));
    this.description = `${label} ${this.file}`;
  }

  /** Any failure that is not already a SourceError becomes one naming this source. */
  async *entries(): AsyncIterable<SourceEntry> {
    try {
      yield* this.read();
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(this.description, (e as Error).message, { cause: e });
    }
  }

  protected abstract read(): AsyncIterable<SourceEntry>;
}

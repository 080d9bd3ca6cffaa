import type { Storage } from '../storage/storage.ts';
import { isImageName, SourceError, type Source, type SourceEntry } from './types.ts';

/**
 * Every image object under a prefix of a Storage (normally the S3 one), by extension, in the
 * storage's listing order (lexicographic: S3 ListObjectsV2 order, paginated underneath by
 * `Storage.list`). URIs are `<storage.url>/<key>`, e.g. `s3://bucket/photos/a.jpg`.
 */
export class S3PrefixSource implements Source {
  readonly type = 's3' as const;
  readonly description: string;
  constructor(
    private readonly storage: Storage,
    private readonly prefix: string,
  ) {
    this.description = `s3 prefix ${join(storage.url, prefix)}`;
  }

  async readBytes(uri: string): Promise<Uint8Array> {
    const base = this.storage.url.replace(/\/+$/, '') + '/';
    if (!uri.startsWith(base)) throw new Error(`${uri} is not under ${base}`);
    return this.storage.get(uri.slice(base.length));
  }

  async *entries(): AsyncIterable<SourceEntry> {
    let n = 0;
    try {
      for await (const key of this.storage.list(this.prefix)) {
        n++;
        if (isImageName(key)) yield { kind: 'item', uri: join(this.storage.url, key), where: key };
      }
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(this.description, `listing failed after ${n} keys: ${(e as Error).message}`, { cause: e });
    }
  }
}

function join(base: string, key: string): string {
  return key === '' ? base : base.replace(/\/+$/, '') + '/' + key.replace(/^\/+/, '');
}

/** Splits `s3://bucket/some/prefix` into the bucket URL and the prefix inside it. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m) throw new SourceError(url, 'not an s3://bucket/prefix URL');
  return { bucket: m[1]!, prefix: m[2]! };
}

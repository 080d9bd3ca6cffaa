import { Readable } from 'node:stream';
import { NotFoundError, type Storage } from '../../../pipeline/storage/storage.ts';

/**
 * A minimal in-memory Storage for source tests (bytes only, allowed by the project rules): the S3
 * implementation lives on another branch. `list` yields in lexicographic order, a page at a time,
 * and counts its pages so a test can see the listing was paginated.
 */
export class MemoryStorage implements Storage {
  readonly objects = new Map<string, Uint8Array>();
  pages = 0;
  constructor(
    readonly url: string,
    private readonly pageSize = 2,
  ) {}
  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    if (body instanceof Readable) throw new Error('MemoryStorage: streams not supported');
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }
  async get(key: string): Promise<Uint8Array> {
    const v = this.objects.get(key);
    if (!v) throw new NotFoundError(this.url, key);
    return v;
  }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.get(key)).subarray(start, end);
  }
  async getStream(key: string): Promise<Readable> {
    return Readable.from([await this.get(key)]);
  }
  async head(key: string): Promise<{ size: number } | null> {
    const v = this.objects.get(key);
    return v ? { size: v.length } : null;
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
  async *list(prefix: string): AsyncIterable<string> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (let i = 0; i < keys.length; i += this.pageSize) {
      this.pages++;
      yield* keys.slice(i, i + this.pageSize);
    }
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

import { Readable } from 'node:stream';
import { NotFoundError, type Storage } from '../../pipeline/storage/storage.ts';

/**
 * Storage held in a Map: bytes only, for tests of code that sits on the Storage interface (the real
 * local and S3 storages have their own tests). Counts calls so tests can check how objects are read,
 * and lists a page at a time (`pageSize` keys, counted in `pages`) as S3 does, so a test can see
 * that a listing was followed across pages.
 */
export class MemoryStorage implements Storage {
  readonly objects = new Map<string, Uint8Array>();
  readonly calls = { put: 0, get: 0, getRange: 0, getStream: 0, rangeBytes: 0 };
  pages = 0;

  constructor(
    readonly url = 'mem://test',
    private readonly pageSize = 1000,
  ) {}

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    this.calls.put++;
    let bytes: Uint8Array;
    if (typeof body === 'string') bytes = new TextEncoder().encode(body);
    else if (body instanceof Uint8Array) bytes = body;
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c));
      bytes = Buffer.concat(chunks);
    }
    this.objects.set(key, new Uint8Array(bytes));
  }
  private must(key: string): Uint8Array {
    const b = this.objects.get(key);
    if (!b) throw new NotFoundError(this.url, key);
    return b;
  }
  async get(key: string): Promise<Uint8Array> {
    this.calls.get++;
    return this.must(key).slice();
  }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    this.calls.getRange++;
    const b = this.must(key).slice(start, end);
    this.calls.rangeBytes += b.byteLength;
    return b;
  }
  async getStream(key: string): Promise<Readable> {
    this.calls.getStream++;
    return Readable.from([Buffer.from(this.must(key))]);
  }
  async head(key: string): Promise<{ size: number } | null> {
    const b = this.objects.get(key);
    return b ? { size: b.byteLength } : null;
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
  async *listFolders(prefix: string): AsyncIterable<string> {
    const folders = new Set<string>();
    for (const k of this.objects.keys()) {
      const slash = k.indexOf('/', prefix.length);
      if (k.startsWith(prefix) && slash >= 0) folders.add(k.slice(0, slash + 1));
    }
    yield* [...folders].sort();
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

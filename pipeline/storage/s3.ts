import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, type Readable } from 'node:stream';
import { NotFoundError, StorageError, type Storage } from './storage.ts';
import { checkKey, checkPrefix } from './keys.ts';
import { checkRange } from './local.ts';
import { describeS3Error } from './s3-errors.ts';

export type ChecksumMode = 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';

/** Options of S3Storage; every one has a default (see docs/decisions.md, "Storage"). */
export interface S3StorageOptions {
  bucket: string;
  /** Key prefix inside the bucket ('' = the whole bucket); stored with a trailing '/'. */
  prefix?: string;
  /** A custom S3 API endpoint (MinIO, R2, s3rver): `http://127.0.0.1:9000`. Omit for AWS. */
  endpoint?: string;
  /** Default 'us-east-1' (custom endpoints mostly ignore it, but the signer needs one). */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true with a custom endpoint, false on AWS. */
  forcePathStyle?: boolean;
  /** Default: the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * requestChecksumCalculation and responseChecksumValidation. Default: WHEN_REQUIRED with a custom
   * endpoint (s3rver and some others store the aws-chunked framing of streamed PUTs as object bytes),
   * the SDK's own default (WHEN_SUPPORTED, or the AWS_* env settings) on AWS.
   */
  checksums?: ChecksumMode;
  /** Attempts per request, first one included (SDK standard retry: full-jitter exponential backoff). Default 5. */
  maxAttempts?: number;
  /** TCP connect timeout per attempt. Default 3000 ms. */
  connectionTimeoutMs?: number;
  /** A socket idle this long fails the attempt (not a cap on total time, so big bodies are fine). Default 30000 ms. */
  socketTimeoutMs?: number;
  /** Multipart part size for stream bodies (S3 minimum 5 MiB). Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once; memory held is about partSize x (queueSize + 1). Default 4. */
  queueSize?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). Default 1000. */
  listPageSize?: number;
}

export const S3_DEFAULTS = {
  region: 'us-east-1',
  maxAttempts: 5,
  connectionTimeoutMs: 3000,
  socketTimeoutMs: 30_000,
  partSize: 8 * 1024 * 1024,
  queueSize: 4,
  listPageSize: 1000,
} as const;

/**
 * A Storage over `s3://bucket/prefix` on any S3 API. A put is one PutObject (bytes) or one
 * multipart upload completed only when every part is in (streams, via lib-storage's Upload, which
 * aborts the upload on failure), so readers never see a partial object.
 */
export class S3Storage implements Storage {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  /** Where requests go, for messages: the custom endpoint without any user:password, or 'AWS S3 (<region>)'. */
  readonly endpoint: string;
  readonly client: S3Client;
  private readonly opts: Required<Pick<S3StorageOptions, 'maxAttempts' | 'partSize' | 'queueSize' | 'listPageSize'>>;
  private readonly secrets: string[];

  constructor(o: S3StorageOptions) {
    if (!o.bucket || /[/\s]/.test(o.bucket))
      throw new StorageError(`s3://${o.bucket}`, 'open', '', `bad bucket name ${JSON.stringify(o.bucket)}`, false);
    const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.bucket = o.bucket;
    this.prefix = prefix ? `${prefix}/` : '';
    this.url = `s3://${o.bucket}/${this.prefix}`;
    if (prefix) checkPrefix(this.url, this.prefix);
    const region = o.region ?? S3_DEFAULTS.region;
    this.endpoint = o.endpoint ? redactUserInfo(o.endpoint) : `AWS S3 (${region})`;
    this.opts = {
      maxAttempts: positiveInt(this.url, 'maxAttempts', o.maxAttempts ?? S3_DEFAULTS.maxAttempts),
      partSize: positiveInt(this.url, 'partSize', o.partSize ?? S3_DEFAULTS.partSize),
      queueSize: positiveInt(this.url, 'queueSize', o.queueSize ?? S3_DEFAULTS.queueSize),
      listPageSize: positiveInt(this.url, 'listPageSize', o.listPageSize ?? S3_DEFAULTS.listPageSize),
    };
    const env = process.env;
    this.secrets = [
      o.credentials?.accessKeyId,
      o.credentials?.secretAccessKey,
      o.credentials?.sessionToken,
      env.AWS_ACCESS_KEY_ID,
      env.AWS_SECRET_ACCESS_KEY,
      env.AWS_SESSION_TOKEN,
    ].filter((s): s is string => !!s && s.length >= 4);
    const checksums = o.checksums ?? (o.endpoint ? 'WHEN_REQUIRED' : undefined);
    const config: S3ClientConfig = {
      region,
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle ?? !!o.endpoint,
      credentials: o.credentials,
      maxAttempts: this.opts.maxAttempts,
      retryMode: 'standard',
      requestHandler: {
        connectionTimeout: o.connectionTimeoutMs ?? S3_DEFAULTS.connectionTimeoutMs,
        socketTimeout: o.socketTimeoutMs ?? S3_DEFAULTS.socketTimeoutMs,
      },
      ...(checksums ? { requestChecksumCalculation: checksums, responseChecksumValidation: checksums } : {}),
    };
    this.client = new S3Client(config);
  }

  private full(key: string): string {
    return this.prefix + checkKey(this.url, key);
  }

  /** Runs one SDK call; any failure becomes a NotFoundError or a StorageError naming endpoint, op and key. */
  private async call<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const d = describeS3Error(e, this.secrets);
      if (d.notFound) throw new NotFoundError(this.url, key);
      throw new StorageError(this.url, op, key, `${d.text} (${this.where(d.attempts)})`, d.retryable);
    }
  }

  private where(attempts: number | undefined): string {
    return `endpoint ${this.endpoint}${attempts !== undefined ? `, ${attempts} attempt(s) of at most ${this.opts.maxAttempts}` : ''}`;
  }

  async put(key: string, body: Uint8Array | string | Readable, opts?: { contentType?: string }): Promise<void> {
    const Key = this.full(key);
    const ContentType = opts?.contentType;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await this.call('put', key, () =>
        this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: bytes, ContentLength: bytes.length, ContentType }),
        ),
      );
      return;
    }
    // Upload reads the stream part by part (at most partSize x queueSize in memory), sends a body
    // shorter than one part as a single PutObject and anything longer as a multipart upload.
    let sourceError: Error | undefined;
    body.once('error', (e) => {
      sourceError = e;
    });
    try {
      await this.call('put', key, () =>
        new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key, Body: body, ContentType },
          partSize: this.opts.partSize,
          queueSize: this.opts.queueSize,
          leavePartsOnError: false,
        }).done(),
      );
    } catch (e) {
      // A failed put consumes its body: release whatever the source holds (a file descriptor...).
      body.destroy();
      // When the body stream broke, that is the cause to report, not whatever the abort of the
      // multipart upload then answered (lib-storage throws the abort's error if it fails).
      if (!sourceError) throw e;
      const abort = e instanceof StorageError && !e.message.includes(sourceError.message) ? `; then: ${e.message}` : '';
      throw new StorageError(this.url, 'put', key, `the body stream failed: ${sourceError.message}${abort}`, false);
    }
  }

  /**
   * PutObject with `If-None-Match: *`: S3 answers 412 when the key exists, and 409 when another
   * conditional write of the key is in flight (S3 asks for a retry; the retry then sees the winner).
   * A server that ignores the header (s3rver, old MinIO) overwrites instead: see docs/decisions.md.
   */
  async putIfAbsent(key: string, body: Uint8Array | string, opts?: { contentType?: string }): Promise<boolean> {
    const Key = this.full(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.call('putIfAbsent', key, async () => {
        try {
          await this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key,
              Body: bytes,
              ContentLength: bytes.length,
              ContentType: opts?.contentType,
              IfNoneMatch: '*',
            }),
          );
          return 'created' as const;
        } catch (e) {
          const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
          if (status === 412) return 'exists' as const;
          if (status === 409 && attempt < this.opts.maxAttempts) return 'conflict' as const;
          throw e;
        }
      });
      if (outcome !== 'conflict') return outcome === 'created';
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const Key = this.full(key);
    return this.call('get', key, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const Key = this.full(key);
    checkRange(this.url, key, start, end);
    if (start === end) {
      if (!(await this.exists(key))) throw new NotFoundError(this.url, key);
      return new Uint8Array(0);
    }
    const out = await this.call('getRange', key, async () => {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${start}-${end - 1}` }),
      );
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
    });
    // S3 clips a range that runs past the end; the interface promises exactly [start, end).
    if (out.length !== end - start) {
      throw new StorageError(
        this.url,
        'getRange',
        key,
        `range [${start}, ${end}) is beyond the object's end (got ${out.length} bytes)`,
        false,
      );
    }
    return out;
  }

  async getStream(key: string): Promise<Readable> {
    const Key = this.full(key);
    const body = await this.call('getStream', key, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return r.Body as Readable;
    });
    // A connection lost mid-body surfaces on the stream; give it the same words as any other failure.
    const out = new PassThrough();
    body.on('error', (e) => {
      const d = describeS3Error(e, this.secrets);
      out.destroy(
        new StorageError(
          this.url,
          'getStream',
          key,
          `${d.text} while reading the body (${this.where(undefined)})`,
          true,
        ),
      );
    });
    out.on('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    return body.pipe(out);
  }

  async head(key: string): Promise<{ size: number } | null> {
    const Key = this.full(key);
    try {
      const r = await this.call('head', key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
      );
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(this.url, prefix);
    for await (const page of this.pages('list', prefix))
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key.slice(this.prefix.length);
  }

  /** S3 rolls the keys below each folder up into one common prefix, so a page never holds a folder's keys. */
  async *listFolders(prefix: string): AsyncIterable<string> {
    checkPrefix(this.url, prefix);
    for await (const page of this.pages('listFolders', prefix, '/'))
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) yield p.Prefix.slice(this.prefix.length);
  }

  /** ListObjectsV2 pages under a prefix, following continuation tokens to the end. */
  private async *pages(op: string, prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const r = await this.call(op, prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            Delimiter: delimiter,
            ContinuationToken: token,
            MaxKeys: this.opts.listPageSize,
          }),
        ),
      );
      yield r;
      if (r.IsTruncated && !r.NextContinuationToken) {
        throw new StorageError(
          this.url,
          op,
          prefix,
          `page truncated without a continuation token (endpoint ${this.endpoint})`,
          true,
        );
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    const Key = this.full(key);
    await this.call('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
  }

  /** Closes the client's sockets (keep-alive would otherwise hold the process open). */
  async close(): Promise<void> {
    this.client.destroy();
  }
}

function positiveInt(url: string, name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new StorageError(
      url,
      'open',
      '',
      `option ${name} must be a positive integer, got ${JSON.stringify(v)}`,
      false,
    );
  return v;
}

function redactUserInfo(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return endpoint.replace(/\/\/[^@/]*@/, '//');
  }
}

/**
 * A real S3 API on loopback for tests: s3rver on a free 127.0.0.1 port, storing in a fresh temp
 * folder, with one fresh bucket.
 *
 *   const s3 = await startS3rver();            // or startS3rver({ prefix: 'run-1' })
 *   await s3.storage.put('a/b.json', '{}');   // an S3Storage on that bucket (and prefix)
 *   ... s3.endpoint, s3.bucket, s3.credentials for your own S3Storage/openStorage
 *   await s3.close();                          // stops the server, closes the client, deletes the folder
 *
 * s3rver accepts the credentials S3RVER / S3RVER; wrong ones are refused (InvalidAccessKeyId).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { S3Storage, type S3StorageOptions } from '../../pipeline/storage/s3.ts';

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** An S3Storage on the bucket (and the prefix asked for), path-style, WHEN_REQUIRED checksums. */
  storage: S3Storage;
  /** Options that reach this server; spread them into your own `new S3Storage({...})`. */
  options: S3StorageOptions;
  close(): Promise<void>;
}

let counter = 0;

export async function startS3rver(o: { bucket?: string; prefix?: string; storage?: Partial<S3StorageOptions> } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 'fld-s3rver-'));
  const bucket = o.bucket ?? `fld-test-${process.pid}-${++counter}`;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const options: S3StorageOptions = { bucket, prefix: o.prefix, endpoint, credentials, forcePathStyle: true, ...o.storage };
  const storage = new S3Storage(options);
  return {
    endpoint, bucket, credentials, storage, options,
    async close() {
      await storage.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

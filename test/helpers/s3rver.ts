/**
 * A real S3 API on loopback for tests: s3rver in a child process on a free 127.0.0.1 port,
 * storing in a fresh temp folder, with one fresh bucket.
 *
 *   const s3 = await startS3rver();            // or startS3rver({ prefix: 'run-1' })
 *   await s3.storage.put('a/b.json', '{}');   // an S3Storage on that bucket (and prefix)
 *   ... s3.endpoint, s3.bucket, s3.credentials, s3.options for your own S3Storage / openStorage,
 *   s3.env for a child `fld` given an s3:// URL
 *   await s3.close();                          // closes the client, stops the server, deletes the folder
 *
 * s3rver accepts the credentials S3RVER / S3RVER; other ones are refused (InvalidAccessKeyId).
 * Known s3rver gaps (real S3 differs): it lists in file-system walk order, not byte order, when a
 * key and a folder share a stem ('ls-x/..' vs 'ls/..'); it has no AbortMultipartUpload (HTTP 405);
 * it writes a PUT in place, so concurrent PUTs of one key can leave mixed bytes and a reader can
 * see a PUT half-written (S3 is atomic, last writer wins). Write different content to one key at
 * once only where the test expects that. In a delimited listing only objects count toward a page
 * (S3 counts common prefixes too), and a common prefix met just before a page's end comes again on
 * the next page. (Its roll-up of common prefixes from keys only right below them is mended in
 * s3rver-process.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Storage, type S3StorageOptions } from '../../pipeline/storage/s3.ts';

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** An S3Storage on the bucket (and the prefix asked for), path-style, WHEN_REQUIRED checksums. */
  storage: S3Storage;
  /** Options that reach this server: `new S3Storage({ ...s3.options, prefix: 'x' })`. */
  options: S3StorageOptions;
  /** What a child `fld` needs beside `s3://<bucket>/...` to reach this server (`{ ...process.env, ...s3.env }`). */
  env: Record<string, string>;
  close(): Promise<void>;
}

let counter = 0;
const here = dirname(fileURLToPath(import.meta.url));

export async function startS3rver(
  o: { bucket?: string; prefix?: string; storage?: Partial<S3StorageOptions> } = {},
): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 'fld-s3rver-'));
  const bucket = o.bucket ?? `fld-test-${process.pid}-${++counter}`;
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', join(here, 's3rver-process.ts'), directory, bucket],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let port: number;
  try {
    port = await readPort(child);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw new Error(`s3rver did not start: ${(e as Error).message}\n${stderr}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const options: S3StorageOptions = {
    bucket,
    prefix: o.prefix,
    endpoint,
    credentials,
    forcePathStyle: true,
    ...o.storage,
  };
  const storage = new S3Storage(options);
  return {
    endpoint,
    bucket,
    credentials,
    storage,
    options,
    env: {
      FLD_S3_ENDPOINT: endpoint,
      FLD_S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async close() {
      await storage.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin!.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('no port within 20 s')), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`unexpected output: ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code}`));
    });
  });
}

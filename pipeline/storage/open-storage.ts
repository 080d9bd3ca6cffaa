import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStorage } from './local.ts';
import { S3Storage, type ChecksumMode, type S3StorageOptions } from './s3.ts';
import { StorageError, type Storage } from './storage.ts';

/** A Storage the caller owns: close() releases its sockets (a no-op for a local folder). */
export type OpenedStorage = Storage & { close(): Promise<void> };

/** S3 settings beside the URL; each falls back to the environment, then to S3Storage's default. */
export type OpenStorageOptions = Omit<S3StorageOptions, 'bucket' | 'prefix'> & {
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
};

/**
 * Opens `file:///abs/path`, a plain path (relative to the working folder), or
 * `s3://bucket/prefix`. For S3 the environment fills what the options leave out:
 *
 * | option | environment |
 * |---|---|
 * | endpoint | FLD_S3_ENDPOINT, then AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL |
 * | region | AWS_REGION, then AWS_DEFAULT_REGION |
 * | forcePathStyle | FLD_S3_FORCE_PATH_STYLE (true/false) |
 * | checksums | FLD_S3_CHECKSUMS (WHEN_REQUIRED/WHEN_SUPPORTED) |
 * | maxAttempts | FLD_S3_MAX_ATTEMPTS, then AWS_MAX_ATTEMPTS |
 * | credentials | the AWS chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, roles |
 */
export function openStorage(url: string, opts: OpenStorageOptions = {}): OpenedStorage {
  const { env = process.env, ...s3opts } = opts;
  if (typeof url !== 'string' || url.trim() === '')
    throw new StorageError(
      String(url),
      'open',
      '',
      'empty storage URL (want file:///abs/path, a path, or s3://bucket/prefix)',
      false,
    );
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return withClose(new LocalStorage(isAbsolute(url) ? url : resolve(url)));
  if (scheme === 'file') {
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch (e) {
      throw new StorageError(url, 'open', '', `not a local file URL: ${(e as Error).message}`, false);
    }
    return withClose(new LocalStorage(path));
  }
  if (scheme !== 's3')
    throw new StorageError(
      url,
      'open',
      '',
      `unsupported scheme "${scheme}://" (want file://, a path, or s3://)`,
      false,
    );

  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (!bucket) throw new StorageError(url, 'open', '', 'no bucket in the URL (want s3://bucket/prefix)', false);
  return new S3Storage({
    ...s3opts,
    bucket,
    prefix,
    endpoint: s3opts.endpoint ?? (env.FLD_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined),
    region: s3opts.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    forcePathStyle: s3opts.forcePathStyle ?? envBool(url, env, 'FLD_S3_FORCE_PATH_STYLE'),
    checksums: s3opts.checksums ?? envChecksums(url, env),
    maxAttempts: s3opts.maxAttempts ?? envInt(url, env, 'FLD_S3_MAX_ATTEMPTS') ?? envInt(url, env, 'AWS_MAX_ATTEMPTS'),
  });
}

function withClose(s: LocalStorage): OpenedStorage {
  return Object.assign(s, { close: async () => {} });
}

function envBool(url: string, env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new StorageError(url, 'open', '', `${name}=${JSON.stringify(v)} is not true or false`, false);
}

function envInt(url: string, env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new StorageError(url, 'open', '', `${name}=${JSON.stringify(v)} is not a positive integer`, false);
  return Number(v);
}

function envChecksums(url: string, env: NodeJS.ProcessEnv): ChecksumMode | undefined {
  const v = env.FLD_S3_CHECKSUMS;
  if (v === undefined || v === '') return undefined;
  const u = v.toUpperCase();
  if (u === 'WHEN_REQUIRED' || u === 'WHEN_SUPPORTED') return u;
  throw new StorageError(
    url,
    'open',
    '',
    `FLD_S3_CHECKSUMS=${JSON.stringify(v)} is not WHEN_REQUIRED or WHEN_SUPPORTED`,
    false,
  );
}

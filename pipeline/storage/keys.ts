import { StorageError } from './storage.ts';

/**
 * Key rules shared by every Storage, so that a key that works locally also works on S3 and the
 * other way round: relative, '/'-separated, no empty, '.' or '..' segments (nothing can escape a
 * local root), no backslash or NUL, and never the marker of our own temp files.
 */
export const TEMP_MARKER = '.fld-tmp-';

export class InvalidKeyError extends StorageError {
  override name = 'InvalidKeyError';
  constructor(url: string, key: string, why: string) {
    super(url, 'key check', key, why, false);
  }
}

function problem(key: string, allowPartial: boolean): string | null {
  if (typeof key !== 'string') return 'a key must be a string';
  if (key.includes('\0')) return 'contains a NUL character';
  if (key.includes('\\')) return "contains a backslash (keys are '/'-separated)";
  if (key.startsWith('/')) return 'is absolute (keys are relative to the storage root)';
  if (/^[a-zA-Z]:/.test(key)) return 'looks like a drive path (keys are relative to the storage root)';
  if (key.includes(TEMP_MARKER)) return `contains "${TEMP_MARKER}", reserved for temp files`;
  const segments = key.split('/');
  if (allowPartial && segments[segments.length - 1] === '') segments.pop();
  for (const s of segments) {
    if (s === '..' || s === '.') return `has a "${s}" segment (keys cannot leave the storage root)`;
    if (s === '') return key === '' ? 'is empty' : 'has an empty segment ("//" or a trailing "/")';
  }
  return null;
}

/** Throws InvalidKeyError naming the key unless it is a valid object key. */
export function checkKey(url: string, key: string): string {
  const why = problem(key, false);
  if (why) throw new InvalidKeyError(url, key, why);
  return key;
}

/** A listing prefix: '' (everything), a key, a folder ending in '/', or a partial last segment. */
export function checkPrefix(url: string, prefix: string): string {
  if (prefix === '') return prefix;
  const why = problem(prefix, true);
  if (why) throw new InvalidKeyError(url, prefix, why);
  return prefix;
}

/** Compares keys as S3 orders them: by UTF-8 bytes (JS string order differs beyond the BMP). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProblemReason } from './types.ts';

/**
 * Resolving a manifest's references to images. A local reference is resolved against the source
 * root and must stay inside it (lexically, and after following symlinks) unless `allowOutside` is
 * set, so a manifest cannot make the engine read `/etc/...` or a sibling collection by accident.
 * Remote references (`s3://`, `http(s)://`) pass through normalised; they are not paths.
 */

export interface PathOptions {
  /** Accept local paths outside the source root (`fld enqueue --allow-outside`). */
  allowOutside?: boolean;
  /** Check that each local file exists and that symlinks stay inside the root (default true). */
  checkFiles?: boolean;
}

export type Resolved = { ok: true; uri: string } | { ok: false; reason: ProblemReason; detail: string };

const REMOTE = /^(s3|https?):\/\//i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A relative path that path.resolve would only append to the root: no `.`/`..` segment, no `//`, no
 * leading or trailing `/` (so no `://` either). It runs per manifest line: a path in which no segment
 * starts with `.` (none starts the path, no `/.` inside) is decided by native searches; others by one
 * pass over the characters.
 */
function isPlainRelative(p: string): boolean {
  const n = p.length;
  if (n === 0) return true;
  if (p.charCodeAt(0) === 0x2f || p.charCodeAt(n - 1) === 0x2f || p.includes('//')) return false;
  if (p.charCodeAt(0) !== 0x2e && !p.includes('/.')) return true;
  let start = 0; // where the current segment began
  for (let i = 0; i <= n; i++) {
    if (i < n && p.charCodeAt(i) !== 0x2f) continue;
    const len = i - start;
    // an empty segment is a leading, trailing or doubled `/`; `.` and `..` are 0x2e
    if (len === 0) return false;
    if (p.charCodeAt(start) === 0x2e && (len === 1 || (len === 2 && p.charCodeAt(start + 1) === 0x2e))) return false;
    start = i + 1;
  }
  return true;
}

export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Normalises a remote URI: URL parsing lower-cases scheme and host and drops default ports. */
export function normaliseRemote(uri: string): string {
  if (/^s3:\/\//i.test(uri)) return 's3://' + uri.slice(5);
  return new URL(uri).href;
}

/**
 * Resolves references against one root. Real paths of directories are cached, so a manifest of a
 * million files under a few thousand folders costs one lstat per file, not a realpath per file.
 */
export class PathResolver {
  readonly root: string;
  private readonly rootPrefix: string;
  private realRoot: string | undefined;
  private readonly realDirs = new Map<string, string>();
  constructor(
    root: string,
    private readonly opts: PathOptions = {},
  ) {
    this.root = resolve(root);
    this.rootPrefix = this.root.endsWith(sep) ? this.root : this.root + sep;
    // A missing root is one whole-source error, not a missing_file problem on every line.
    if (opts.checkFiles !== false) this.realRootPath();
  }

  resolve(ref: string): Resolved {
    // most manifest lines are plain relative paths: no scheme to test, and a join instead of path.resolve
    if (sep === '/' && isPlainRelative(ref)) {
      const abs = this.rootPrefix + ref;
      return this.opts.checkFiles === false ? { ok: true, uri: abs } : this.check(ref, abs);
    }
    if (REMOTE.test(ref)) {
      try {
        return { ok: true, uri: normaliseRemote(ref) };
      } catch {
        return { ok: false, reason: 'malformed', detail: `uri ${JSON.stringify(ref)} is not a valid URL` };
      }
    }
    let path = ref;
    if (/^file:\/\//i.test(ref)) {
      try {
        path = fileURLToPath(ref);
      } catch {
        return { ok: false, reason: 'malformed', detail: `uri ${JSON.stringify(ref)} is not a valid file URL` };
      }
    } else if (SCHEME.test(ref)) {
      return {
        ok: false,
        reason: 'malformed',
        detail: `uri ${JSON.stringify(ref)} has an unsupported scheme (use a path, file://, s3:// or http(s)://)`,
      };
    }
    const abs = resolve(this.root, path);
    if (!this.opts.allowOutside && !isInside(abs, this.root)) {
      const how = isAbsolute(path) ? 'is an absolute path' : 'climbs out with ".."';
      return {
        ok: false,
        reason: 'outside_root',
        detail: `path ${JSON.stringify(ref)} ${how} outside the source root ${this.root} (allowOutside / --allow-outside permits it)`,
      };
    }
    if (this.opts.checkFiles === false) return { ok: true, uri: abs };
    return this.check(ref, abs);
  }

  private check(ref: string, abs: string): Resolved {
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      return { ok: false, reason: 'missing_file', detail: `file ${abs} does not exist` };
    }
    if (this.opts.allowOutside) {
      if (st.isSymbolicLink()) st = statSafe(abs);
      return st?.isFile()
        ? { ok: true, uri: abs }
        : { ok: false, reason: 'missing_file', detail: `${abs} is not a regular file` };
    }
    let real: string;
    try {
      real = st.isSymbolicLink() ? realpathSync.native(abs) : join(this.realDir(dirname(abs)), basename(abs));
    } catch {
      return { ok: false, reason: 'missing_file', detail: `file ${abs} is a broken symlink` };
    }
    if (!isInside(real, this.realRootPath())) {
      return {
        ok: false,
        reason: 'outside_root',
        detail: `path ${JSON.stringify(ref)} resolves through a symlink to ${real}, outside the source root ${this.root}`,
      };
    }
    const target = st.isSymbolicLink() ? statSafe(real) : st;
    if (!target?.isFile()) return { ok: false, reason: 'missing_file', detail: `${abs} is not a regular file` };
    return { ok: true, uri: abs };
  }

  private realRootPath(): string {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = realpathSync.native(this.root);
      } catch (e) {
        throw new Error(`the source root ${this.root} cannot be resolved (${(e as Error).message})`);
      }
    }
    return this.realRoot;
  }

  private realDir(dir: string): string {
    let r = this.realDirs.get(dir);
    if (r === undefined) {
      r = realpathSync.native(dir);
      if (this.realDirs.size > 100_000) this.realDirs.clear();
      this.realDirs.set(dir, r);
    }
    return r;
  }
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { COLLECTION_DIR } from './collection-manifest.ts';
import { TRUTH_DIR, WORLD_INFO } from './truth-store.ts';

/**
 * The demo world a collection source belongs to, or null: a source is a demo world's when its path
 * (a manifest, a folder, or anything inside one) lies under `<world>/collection/` and
 * `<world>/truth/world.json` is there, i.e. in a folder made by `fld world generate`. Only that
 * file's presence is checked (the generator writes it last), never the truth itself. `s3://` and
 * other URLs are never a world.
 */
export function demoWorldOf(source: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return null;
  for (let p = resolve(source); ; p = dirname(p)) {
    if (basename(p) === COLLECTION_DIR && existsSync(join(dirname(p), TRUTH_DIR, WORLD_INFO))) return dirname(p);
    if (dirname(p) === p) return null;
  }
}

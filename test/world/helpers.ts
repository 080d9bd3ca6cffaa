import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GENERATE_DEFAULTS, generateWorld, type GenerateOptions } from '../../demo/world/generate.ts';

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `fld-${name}-`));

export async function smallWorld(images: number, seed: number, extra: Partial<GenerateOptions> = {}): Promise<string> {
  const out = tempDir('world');
  await generateWorld({ out, images, seed, ...GENERATE_DEFAULTS, workers: 1, ...extra });
  return out;
}

/** sha256 of every file under dir, keyed by relative path. */
export function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

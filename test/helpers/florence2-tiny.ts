/**
 * A tiny random-weight model folder in the public Florence-2 ONNX layout, for tests that need a real
 * model (the spike's own tests, the florence2 runner's). Built by the Python exporter in
 * `training/florence2_layout/` (about 5 s) into `.cache/`, keyed by a hash of the exporter's sources, so
 * each test process reuses one folder; concurrent builders race on an atomic rename and the loser's
 * copy is dropped. Nothing is committed: see docs/decisions.md, "Florence-2-layout spike".
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = process.env.FLD_PYTHON ?? '/usr/bin/python3';
const SOURCES = join(REPO_ROOT, 'training/florence2_layout');

function sourcesHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(SOURCES)
    .filter((f) => f.endsWith('.py'))
    .sort()) {
    h.update(f).update(readFileSync(join(SOURCES, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Runs a module of training/florence2_layout with Debian's python; returns stdout. */
export function runPython(module: string, args: string[], input = '', timeoutMs = 120_000): string {
  try {
    return execFileSync(PYTHON, ['-m', `training.florence2_layout.${module}`, ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`python ${module} ${args.join(' ')} failed: ${err.stderr?.slice(-2000) ?? err.message}`);
  }
}

/** The folder of the tiny model (built on first use); `seed` picks the random weights. */
export function tinyFlorence2Folder(seed = 0): string {
  const dir = join(REPO_ROOT, '.cache', `florence2-tiny-${sourcesHash()}-s${seed}`);
  if (existsSync(join(dir, 'onnx', 'decoder_model_merged_fp16.onnx'))) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  // folders built from older exporter sources are stale: drop them so .cache/ does not grow
  for (const old of readdirSync(dirname(dir)).filter(
    (f) => f.startsWith('florence2-tiny-') && !f.startsWith(`florence2-tiny-${sourcesHash()}`),
  )) {
    rmSync(join(dirname(dir), old), { recursive: true, force: true });
  }
  const tmp = `${dir}.build-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  runPython('export_onnx', [tmp, '--seed', String(seed)]);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another process finished first: its folder is as good as ours
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'onnx', 'decoder_model_merged_fp16.onnx'))) throw e;
  }
  return dir;
}

/**
 * `npm test` and its two parts. Every test file says which part it belongs to in a comment among its
 * first lines, `// @part unit` or `// @part integration`:
 *   unit         in-process logic: no Redis, no child process, no server, no Python;
 *   integration  anything that talks to Redis, an S3 server, a child process (fld, workers, Python,
 *                Chromium) or a socket.
 * `tsx scripts/run-tests.ts` runs both parts in one `node --test` run (as the README's test command);
 * `unit` or `integration` runs one part. A file without a part stops the run before any test starts,
 * so a new test cannot slip out of both.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PARTS = ['unit', 'integration'] as const;
type Part = (typeof PARTS)[number];
const TAG = /^\/\/ @part (unit|integration)\s*$/m;
const HEAD_LINES = 5;

const root = fileURLToPath(new URL('..', import.meta.url));

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The part a file declares in its first lines, or null. */
export function partOf(source: string): Part | null {
  const head = source.split('\n', HEAD_LINES).join('\n');
  return (TAG.exec(head)?.[1] as Part | undefined) ?? null;
}

function main(): number {
  const want = process.argv[2];
  if (want !== undefined && !PARTS.includes(want as Part)) {
    process.stderr.write(`run-tests: part must be one of ${PARTS.join(', ')} (got "${want}")\n`);
    return 2;
  }
  const files = testFiles(join(root, 'test'))
    .map((f) => relative(root, f))
    .sort();
  const parts = files.map((f) => ({ file: f, part: partOf(readFileSync(join(root, f), 'utf8')) }));
  const untagged = parts.filter((p) => p.part === null).map((p) => p.file);
  if (untagged.length) {
    process.stderr.write(
      `run-tests: ${untagged.length} test file(s) declare no part ("// @part unit" or "// @part integration" in their first ${HEAD_LINES} lines):\n  ${untagged.join('\n  ')}\n`,
    );
    return 2;
  }
  const chosen = parts.filter((p) => want === undefined || p.part === want).map((p) => p.file);
  process.stdout.write(`run-tests: ${chosen.length} file(s), part ${want ?? 'unit + integration'}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...chosen], {
    cwd: root,
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();

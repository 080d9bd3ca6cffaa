// Lints the tracked Python with ruff compiled to WebAssembly (@astral-sh/ruff-wasm-nodejs), so no pip
// install and no network are needed. Settings come from ruff.toml at the repository root.
//
//   npx tsx scripts/lint-python.ts [--check-format] [FILE.py ...]
//
// Without FILE arguments it checks every `git ls-files '*.py'`. Each finding prints as
// `path:line:col code message`; the exit status is 1 on any finding, 0 when there is none.
// --check-format also lists each file that `ruff format` would change (`path: would reformat`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

type TomlValue = string | number | boolean | string[] | TomlTable;
interface TomlTable {
  [key: string]: TomlValue;
}

/** The subset of TOML that ruff.toml uses: `[a.b]` tables, `key = value` with a string, integer,
 * boolean or one-line array of strings, and `#` comments. Anything else is an error, not a guess. */
export function parseRuffToml(text: string, path = 'ruff.toml'): TomlTable {
  const top: TomlTable = {};
  let table = top;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (line === '') continue;
    const fail = (why: string): never => {
      throw new Error(`${path}:${i + 1}: ${why}: ${lines[i]}`);
    };
    const header = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
    if (header) {
      table = top;
      for (const part of header[1].split('.')) {
        const next = table[part] ?? {};
        if (typeof next !== 'object' || Array.isArray(next)) fail('not a table');
        table[part] = next;
        table = next as TomlTable;
      }
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!pair) fail('unsupported line');
    const [, key, raw] = pair as RegExpExecArray;
    table[key] = parseValue(raw) ?? fail('unsupported value');
  }
  return top;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== '\\') quoted = !quoted;
    else if (line[i] === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

function parseValue(raw: string): TomlValue | undefined {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (/^"([^"\\]|\\.)*"$/.test(raw)) return JSON.parse(raw) as string;
  if (raw.startsWith('[') && raw.endsWith(']')) {
    const items = raw
      .slice(1, -1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (!items.every((s) => /^"([^"\\]|\\.)*"$/.test(s))) return undefined;
    return items.map((s) => JSON.parse(s) as string);
  }
  return undefined;
}

export function formatDiagnostic(path: string, d: Diagnostic): string {
  return `${path}:${d.start_location.row}:${d.start_location.column} ${d.code ?? 'syntax-error'} ${d.message}`;
}

function trackedPython(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '*.py'], { cwd: root, encoding: 'utf8' });
  return out.split('\0').filter((p) => p !== '');
}

function main(argv: string[]): number {
  const checkFormat = argv.includes('--check-format');
  const unknown = argv.filter((a) => a.startsWith('--') && a !== '--check-format');
  if (unknown.length > 0) {
    console.error(`lint-python: unknown option ${unknown.join(' ')}`);
    return 2;
  }
  const args = argv.filter((a) => !a.startsWith('--'));
  const files = args.length > 0 ? args.map((a) => relative(root, a)) : trackedPython();
  const settings = parseRuffToml(readFileSync(join(root, 'ruff.toml'), 'utf8'));
  // Utf32: columns count characters, as the ruff command line reports them.
  const workspace = new Workspace(settings, PositionEncoding.Utf32);
  let findings = 0;
  for (const path of files) {
    const source = readFileSync(join(root, path), 'utf8');
    const diagnostics = workspace.check(source) as Diagnostic[];
    diagnostics.sort(
      (a, b) => a.start_location.row - b.start_location.row || a.start_location.column - b.start_location.column,
    );
    for (const d of diagnostics) console.log(formatDiagnostic(path, d));
    findings += diagnostics.length;
    if (checkFormat) {
      let formatted: string | undefined;
      try {
        formatted = workspace.format(source);
      } catch (err) {
        console.log(`${path}: cannot format: ${String(err)}`);
        findings++;
      }
      if (formatted !== undefined && formatted !== source) {
        console.log(`${path}: would reformat`);
        findings++;
      }
    }
  }
  console.error(`lint-python: ${files.length} files, ${findings} findings (ruff ${Workspace.version()})`);
  return findings > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));

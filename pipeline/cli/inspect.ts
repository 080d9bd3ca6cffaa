import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { asyncBufferFromFile } from 'hyparquet';
import { openShard, readShardRows, ShardFormatError, type OpenShard } from '../shards/decode.ts';
import { parseManifest, RoundFileError } from '../shards/round-files.ts';
import type { RoundManifest } from '../../schemas/manifest.ts';
import { ROUND_KINDS } from '../../schemas/records.ts';
import { ValidationError } from '../../schemas/validate.ts';
import { SchemaVersionError } from '../../schemas/version.ts';

/**
 * `fld inspect <shard|round folder>`: what a shard holds (kind, schema, schema_version, rows, first
 * rows) or what a round holds (manifest, shards and rows per kind, done markers per stage).
 * Bad input (missing path, non-Parquet or truncated file, unknown schema_version, a manifest that is
 * not JSON or not valid) is one line on stderr and exit code 2.
 */
export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'show a shard (kind, schema, schema_version, row count, first rows) or a round folder (manifest, shards and rows per kind)',
    )
    .argument('<path>', 'a shard-NNNNN.parquet file or a round-R folder')
    .option('--rows <n>', 'first rows of a shard to show', parseCount, 5)
    .option('--json', 'print one JSON object for scripts')
    .action(async (path: string, opts: { rows: number; json?: boolean }) => {
      try {
        const abs = resolve(path);
        const st = await stat(abs).catch(() => null);
        if (!st) throw badInput(`inspect: no such file or folder: ${abs}`);
        const out = st.isDirectory() ? await inspectRound(abs) : await inspectShard(abs, opts.rows);
        process.stdout.write(
          opts.json ? JSON.stringify(out, null, 2) + '\n' : out.type === 'shard' ? formatShard(out) : formatRound(out),
        );
      } catch (e) {
        if (
          e instanceof ShardFormatError ||
          e instanceof SchemaVersionError ||
          e instanceof ValidationError ||
          e instanceof RoundFileError
        )
          throw badInput(`inspect: ${e.message}`);
        throw e;
      }
    });
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw Object.assign(new Error(`--rows must be a whole number >= 0, got "${v}"`), { exitCode: 2 });
  return n;
}

const badInput = (message: string): Error => Object.assign(new Error(message.split('\n')[0]), { exitCode: 2 });

interface ShardReport {
  type: 'shard';
  file: string;
  kind: string;
  schema_version: number;
  rows: number;
  bytes: number;
  row_groups: number;
  meta: Record<string, string>;
  columns: { name: string; type: string }[];
  first_rows: unknown[];
}

async function openFile(file: string): Promise<OpenShard> {
  return openShard(await asyncBufferFromFile(file), file);
}

async function inspectShard(file: string, rows: number): Promise<ShardReport> {
  const s = await openFile(file);
  const first =
    rows > 0 && s.rowCount > 0 ? await readShardRows(s, { rowStart: 0, rowEnd: Math.min(rows, s.rowCount) }) : [];
  return {
    type: 'shard',
    file,
    kind: s.kind,
    schema_version: s.schemaVersion,
    rows: s.rowCount,
    bytes: s.buffer.byteLength,
    row_groups: s.metadata.row_groups.length,
    meta: s.meta,
    columns: s.columns,
    first_rows: first,
  };
}

function formatShard(r: ShardReport): string {
  const extra = Object.entries(r.meta).filter(([k]) => k !== 'schema_version' && k !== 'kind');
  const w = Math.max(...r.columns.map((c) => c.name.length));
  return [
    `shard           ${r.file}`,
    `kind            ${r.kind}`,
    `schema_version  ${r.schema_version}`,
    `rows            ${r.rows} (${r.row_groups} row group${r.row_groups === 1 ? '' : 's'}, ${r.bytes} bytes)`,
    ...(extra.length ? [`metadata        ${extra.map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
    'columns',
    ...r.columns.map((c) => `  ${c.name.padEnd(w)}  ${c.type}`),
    `first ${r.first_rows.length} row${r.first_rows.length === 1 ? '' : 's'}`,
    ...r.first_rows.map((row) => `  ${JSON.stringify(row)}`),
    '',
  ].join('\n');
}

interface RoundReport {
  type: 'round';
  folder: string;
  manifest: RoundManifest | null;
  kinds: Record<string, { shards: number; rows: number; manifest_rows: number | null }>;
  /** Raw specialist outputs kept for re-filtering, per specialist. */
  raw: Record<string, { shards: number; rows: number }>;
  done: Record<string, number>;
}

async function listNames(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Shards and rows in one folder of shard-NNNNN.parquet files, from their footers only. */
async function countShards(dir: string, kind?: string): Promise<{ shards: number; rows: number }> {
  const files = (await listNames(dir)).filter((f) => /^shard-\d+\.parquet$/.test(f));
  let rows = 0;
  for (const f of files) {
    const s = await openFile(join(dir, f));
    if (kind && s.kind !== kind) throw new ShardFormatError(join(dir, f), `holds ${s.kind} rows, not ${kind}`);
    rows += s.rowCount;
  }
  return { shards: files.length, rows };
}

async function inspectRound(folder: string): Promise<RoundReport> {
  const manifestPath = join(folder, '_manifest.json');
  const text = await readFile(manifestPath, 'utf8').catch(() => null);
  const manifest = text === null ? null : parseManifest(text, `manifest ${manifestPath}`);
  const kinds: RoundReport['kinds'] = {};
  for (const kind of ROUND_KINDS) {
    const { shards, rows } = await countShards(join(folder, kind), kind);
    if (shards || manifest) kinds[kind] = { shards, rows, manifest_rows: manifest ? manifest.counts[kind] : null };
  }
  const raw: RoundReport['raw'] = {};
  for (const specialist of await listNames(join(folder, 'raw')))
    raw[specialist] = await countShards(join(folder, 'raw', specialist));
  const done: Record<string, number> = {};
  for (const stage of await listNames(join(folder, '_done'))) {
    done[stage] = (await listNames(join(folder, '_done', stage))).filter((f) => f.endsWith('.json')).length;
  }
  if (!manifest && Object.keys(kinds).length === 0 && Object.keys(raw).length === 0)
    throw badInput(`inspect: ${folder} is not a round folder (no _manifest.json, no shard folders)`);
  return { type: 'round', folder, manifest, kinds, raw, done };
}

function formatRound(r: RoundReport): string {
  const m = r.manifest;
  const lines = [`round folder    ${r.folder}`];
  if (m) {
    lines.push(
      `manifest        ${m.collection} round ${m.round}, schema_version ${m.schema_version}, created ${m.created_at}`,
      `shards          ${m.shards.length} (${m.files.length} files)`,
      `models          ${m.models.map((x) => `${x.name}@${x.version}`).join(', ') || '(none)'}`,
      `config          ${JSON.stringify(m.config)}`,
    );
  } else {
    lines.push('manifest        (none: the round has not been closed)');
  }
  lines.push('kind                shards  rows      manifest rows');
  for (const [kind, k] of Object.entries(r.kinds)) {
    const mark = k.manifest_rows !== null && k.manifest_rows !== k.rows ? '  (differs from the shards)' : '';
    lines.push(
      `  ${kind.padEnd(18)}${String(k.shards).padEnd(8)}${String(k.rows).padEnd(10)}${k.manifest_rows ?? '-'}${mark}`,
    );
  }
  for (const [specialist, k] of Object.entries(r.raw))
    lines.push(`  raw/${specialist.padEnd(14)}${String(k.shards).padEnd(8)}${k.rows}`);
  if (Object.keys(r.done).length) lines.push('done markers', ...Object.entries(r.done).map(([s, n]) => `  ${s}: ${n}`));
  return lines.join('\n') + '\n';
}

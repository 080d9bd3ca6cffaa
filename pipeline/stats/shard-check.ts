import { relative } from 'node:path';
import { SchemaVersionError, checkSchemaVersion } from '../../schemas/version.ts';
import { StatsInputError } from './stats-errors.ts';
import { fileList } from './sql.ts';

/**
 * Before a query reads them, every shard must say `schema_version` = ours and `kind` = its folder in
 * its Parquet key-value metadata, and hold every column stats reads. Reading shards by column name
 * (union_by_name) would otherwise turn a missing column into silent NULLs.
 */
/** The one query method the check needs: kept structural so db.ts (which calls this) is not imported back. */
interface RowSource {
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

export async function checkShards(
  db: RowSource,
  root: string,
  files: string[],
  kind: string,
  columns: Record<string, string>,
): Promise<void> {
  if (files.length === 0) return;
  let meta: { file_name: string; k: string; v: string }[];
  let schema: { file_name: string; name: string; num_children: number | null }[];
  try {
    meta = await db.rows(
      `SELECT file_name, decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${fileList(files)})`,
    );
    schema = await db.rows(`SELECT file_name, name, num_children FROM parquet_schema(${fileList(files)})`);
  } catch (e) {
    throw new StatsInputError(`stats: cannot read the ${kind} shards as Parquet: ${(e as Error).message}`);
  }
  for (const f of files) {
    const name = relative(root, f);
    const kv = new Map(meta.filter((m) => m.file_name === f).map((m) => [m.k, m.v]));
    if (!kv.has('schema_version'))
      throw new StatsInputError(`stats: shard ${name} has no schema_version in its Parquet metadata`);
    try {
      checkSchemaVersion(`shard ${name}`, kv.get('schema_version'));
    } catch (e) {
      if (e instanceof SchemaVersionError) throw new StatsInputError(`stats: ${e.message}`);
      throw e;
    }
    if (kind !== 'image' && kv.get('kind') !== kind) {
      throw new StatsInputError(
        `stats: shard ${name} says kind ${JSON.stringify(kv.get('kind') ?? null)} but lies in the ${kind} folder`,
      );
    }
    const have = topLevelColumns(schema.filter((s) => s.file_name === f));
    const missing = Object.keys(columns).filter((c) => !have.has(c));
    if (missing.length)
      throw new StatsInputError(`stats: shard ${name} lacks column(s) ${missing.join(', ')} of a ${kind} shard`);
  }
}

/** parquet_schema lists a file's schema tree depth-first (root first); keep the root's children. */
function topLevelColumns(nodes: { name: string; num_children: number | null }[]): Set<string> {
  const names = new Set<string>();
  const skip = (i: number): number => {
    let j = i + 1;
    for (let c = 0; c < (nodes[i].num_children ?? 0); c++) j = skip(j);
    return j;
  };
  for (let i = 1; i < nodes.length; i = skip(i)) names.add(nodes[i].name);
  return names;
}

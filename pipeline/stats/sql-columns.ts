import type { RecordOf, RoundKind } from '../../schemas/records.ts';

/**
 * The SQL type every column of a round's Parquet shards is read as. Readers cast each column to
 * these types, so a writer's choice of integer width (INT32 vs INT64) or list nesting never leaks
 * into the queries. The mapped type makes the compiler fail when schemas/records.ts gains a field
 * that is not listed here.
 */
type Columns<K extends RoundKind> = { [F in keyof RecordOf<K>]-?: string };

const text: Columns<'text'> = {
  image_id: 'VARCHAR',
  round: 'INTEGER',
  text_id: 'VARCHAR',
  granularity: 'VARCHAR',
  text: 'VARCHAR',
  source: 'VARCHAR',
  score: 'DOUBLE',
  sources: 'VARCHAR[]',
  objects: 'INTEGER',
  attributes: 'INTEGER',
  actions: 'INTEGER',
  proper_nouns: 'INTEGER',
  object_complexity: 'DOUBLE',
  action_complexity: 'DOUBLE',
};
const region_text: Columns<'region_text'> = {
  image_id: 'VARCHAR',
  round: 'INTEGER',
  region_id: 'VARCHAR',
  kind: 'VARCHAR',
  box: 'DOUBLE[]',
  quad: 'DOUBLE[]',
  phrase: 'VARCHAR',
  brief: 'VARCHAR',
  noun_chunks: 'VARCHAR[]',
  source: 'VARCHAR',
  score: 'DOUBLE',
  sources: 'VARCHAR[]',
};
const text_phrase_region: Columns<'text_phrase_region'> = {
  image_id: 'VARCHAR',
  round: 'INTEGER',
  text_id: 'VARCHAR',
  granularity: 'VARCHAR',
  phrase: 'VARCHAR',
  span: 'INTEGER[]',
  boxes: 'DOUBLE[][]',
  source: 'VARCHAR',
  score: 'DOUBLE',
  sources: 'VARCHAR[]',
};
const errors: Columns<'errors'> = { image_id: 'VARCHAR', shard: 'INTEGER', stage: 'VARCHAR', message: 'VARCHAR' };

export const SQL_COLUMNS: { [K in RoundKind]: Record<string, string> } = {
  text,
  region_text,
  text_phrase_region,
  errors,
};

/** The image-record columns stats needs (for normalising boxes by image size). */
export const IMAGE_SQL_COLUMNS: Record<string, string> = { image_id: 'VARCHAR', width: 'INTEGER', height: 'INTEGER' };

/** Which columns identify a row across rounds (for `--diff`); every other column but `round` is content. */
export const ROW_KEYS: { [K in RoundKind]: string[] } = {
  text: ['image_id', 'text_id'],
  region_text: ['image_id', 'region_id'],
  text_phrase_region: ['image_id', 'text_id', 'span'],
  errors: ['image_id', 'shard', 'stage'],
};

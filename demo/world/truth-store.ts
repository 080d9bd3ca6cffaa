import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readParquet, writeParquet, type Column } from './parquet.ts';
import { TRUTH_TABLES, type Truth } from './truth.ts';

/**
 * Reads and writes `<world>/truth/`. Only the world generator and the quality module may import this
 * file (test/world/truth-isolation.test.ts enforces it): the engine must never see the answers.
 */
export const TRUTH_DIR = 'truth';
export const truthDir = (world: string) => join(world, TRUTH_DIR);

const S = 'VARCHAR';
const COLUMNS: Record<(typeof TRUTH_TABLES)[number], Column[]> = {
  images: [
    { name: 'image_id', type: S },
    { name: 'uri', type: S },
    { name: 'width', type: 'INTEGER' },
    { name: 'height', type: 'INTEGER' },
    { name: 'background_tone', type: S },
    { name: 'background_pattern', type: S },
    { name: 'background_period', type: 'INTEGER' },
    { name: 'background_direction', type: 'INTEGER' },
    { name: 'clutter', type: 'INTEGER' },
  ],
  objects: [
    { name: 'image_id', type: S },
    { name: 'object_id', type: S },
    { name: 'category', type: S },
    { name: 'colour', type: S },
    { name: 'size', type: S },
    { name: 'box', type: 'DOUBLE[]' },
    { name: 'cx', type: 'DOUBLE' },
    { name: 'cy', type: 'DOUBLE' },
    { name: 'radius', type: 'DOUBLE' },
    { name: 'angle', type: 'DOUBLE' },
    { name: 'z', type: 'INTEGER' },
    { name: 'occluded', type: 'DOUBLE' },
  ],
  words: [
    { name: 'image_id', type: S },
    { name: 'word_id', type: S },
    { name: 'text', type: S },
    { name: 'colour', type: S },
    { name: 'font_size', type: 'INTEGER' },
    { name: 'angle', type: 'DOUBLE' },
    { name: 'quad', type: 'DOUBLE[]' },
    { name: 'box', type: 'DOUBLE[]' },
  ],
  relations: [
    { name: 'image_id', type: S },
    { name: 'subject', type: S },
    { name: 'predicate', type: S },
    { name: 'object', type: S },
  ],
  captions: [
    { name: 'image_id', type: S },
    { name: 'text_id', type: S },
    { name: 'granularity', type: S },
    { name: 'text', type: S },
  ],
  phrases: [
    { name: 'image_id', type: S },
    { name: 'text_id', type: S },
    { name: 'granularity', type: S },
    { name: 'phrase', type: S },
    { name: 'span', type: 'INTEGER[]' },
    { name: 'refs', type: 'VARCHAR[]' },
  ],
};

export interface WorldInfo {
  generator: string;
  seed: number;
  images: number;
  width: number;
  height: number;
  word_probability: number;
  alt_text_fraction: number;
  /** Absent in worlds made before detailed captions were added to the manifest (none there). */
  detailed_fraction?: number;
}
export const WORLD_INFO = 'world.json';

export async function writeTruth(world: string, truth: Truth): Promise<void> {
  for (const table of TRUTH_TABLES)
    await writeParquet(
      join(truthDir(world), `${table}.parquet`),
      COLUMNS[table],
      truth[table] as unknown as Record<string, unknown>[],
    );
}

export async function readTruth(world: string): Promise<Truth> {
  const dir = truthDir(world);
  if (!existsSync(join(dir, WORLD_INFO)))
    throw new Error(`truth: ${dir} holds no ${WORLD_INFO}; is ${world} a world made by "fld world generate"?`);
  const t = {} as Record<string, unknown[]>;
  for (const table of TRUTH_TABLES) t[table] = await readParquet(join(dir, `${table}.parquet`));
  return t as unknown as Truth;
}

export function readWorldInfo(world: string): WorldInfo {
  return JSON.parse(readFileSync(join(truthDir(world), WORLD_INFO), 'utf8')) as WorldInfo;
}

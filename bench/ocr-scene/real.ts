import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { OcrItem } from '../../demo/quality/ocr-score.ts';

/** The hand-truthed crops of real screenshots and photos (test/fixtures/ocr-scene/real/truth.json says where each comes from). */
export const REAL_DIR = fileURLToPath(new URL('../../test/fixtures/ocr-scene/real/', import.meta.url));

export interface RealScene {
  id: string;
  path: string;
  kind: string;
  words: OcrItem[];
}

export async function realScenes(): Promise<RealScene[]> {
  const doc = JSON.parse(await readFile(`${REAL_DIR}truth.json`, 'utf8')) as { images: { id: string; file: string; kind: string; words: { text: string; box: number[] }[] }[] };
  return doc.images.map((i) => ({ id: i.id, path: `${REAL_DIR}${i.file}`, kind: i.kind, words: i.words }));
}

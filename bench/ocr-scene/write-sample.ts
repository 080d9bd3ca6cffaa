/**
 * Writes the small sample of the generated set that the tests read (test/fixtures/ocr-scene/sample):
 * images of seed 2026 chosen for several words per line in six faces, 12-58 px, lines turned up to
 * 33 degrees, JPEG and PNG; with their lines and words. Needs the fonts of generate.ts; the tests do not.
 * `npx tsx bench/ocr-scene/write-sample.ts`
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { missingFontPackages, sceneImage } from './scene-images.ts';

const SAMPLE_SEED = 2026;
const SAMPLE_INDICES = [0, 2, 3, 14, 16, 27];

const missing = missingFontPackages();
if (missing.length) throw new Error(`fonts missing; as root: apt-get install -y ${missing.join(' ')}`);
const dir = fileURLToPath(new URL('../../test/fixtures/ocr-scene/sample/', import.meta.url));
await mkdir(dir, { recursive: true });
const images = [];
for (const i of SAMPLE_INDICES) {
  const s = await sceneImage(SAMPLE_SEED, i);
  const file = `${s.id}.${s.format === 'jpeg' ? 'jpg' : 'png'}`;
  await writeFile(`${dir}${file}`, s.bytes);
  images.push({ id: s.id, file, width: s.width, height: s.height, lines: s.lines, words: s.words });
}
await writeFile(`${dir}truth.json`, `${JSON.stringify({ about: `bench/ocr-scene/scene-images.ts, seed ${SAMPLE_SEED}, images ${SAMPLE_INDICES.join(', ')}`, images }, null, 1)}\n`);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { validate } from '../../schemas/validate.ts';
import { ExistingBox, ExistingText } from '../../schemas/records.ts';

/**
 * The collection manifest: `<world>/collection/manifest.jsonl`, one image a line, `uri` relative to
 * the collection folder, with whatever annotations the collection came with. This is all the engine
 * gets; the truth is elsewhere.
 */
export const MANIFEST = 'manifest.jsonl';
export const COLLECTION_DIR = 'collection';

export const ManifestLine = z.object({
  uri: z.string().min(1),
  alt_text: z.string().optional(),
  boxes: z.array(ExistingBox).optional(),
  texts: z.array(ExistingText).optional(),
});
export type ManifestLine = z.infer<typeof ManifestLine>;

export function readManifest(collection: string): ManifestLine[] {
  const file = join(collection, MANIFEST);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l, i) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(l);
      } catch (e) {
        throw new Error(`manifest ${file} line ${i + 1}: not JSON (${(e as Error).message})`);
      }
      return validate(ManifestLine, parsed, `manifest ${file} line ${i + 1}`);
    });
}

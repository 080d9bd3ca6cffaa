import { join } from 'node:path';
import { writeAtomic } from '../world/files.ts';
import { COLLECTION_DIR, MANIFEST, readManifest, type ManifestLine } from '../world/collection-manifest.ts';
import { readTruth } from '../world/truth-store.ts';

/**
 * A demo world made into a verified set (docs/architecture.md, "Calibration and acceptance gates"):
 * its collection manifest again, each image with its true boxes and its true captions of every
 * granularity as the human-checked labels (`boxes`, `texts`), written beside the collection as
 * `verified.jsonl`. The engine reads it as any manifest; only this module reads the truth to make it.
 * Use a world of its own seed, so the verified images are neither trained on nor held out.
 */
export const VERIFIED_MANIFEST = 'verified.jsonl';

export async function writeVerifiedManifest(
  world: string,
): Promise<{ file: string; images: number; boxes: number; texts: number }> {
  const truth = await readTruth(world);
  const lines = readManifest(join(world, COLLECTION_DIR));
  const byUri = new Map(truth.images.map((i) => [i.uri, i.image_id]));
  const objects = new Map<string, { box: [number, number, number, number]; category: string }[]>();
  for (const o of truth.objects)
    (objects.get(o.image_id) ?? objects.set(o.image_id, []).get(o.image_id)!).push({
      box: [...o.box] as [number, number, number, number],
      category: o.category,
    });
  const captions = new Map<string, { granularity: 'brief' | 'detailed' | 'more_detailed'; text: string }[]>();
  for (const c of truth.captions)
    (captions.get(c.image_id) ?? captions.set(c.image_id, []).get(c.image_id)!).push({
      granularity: c.granularity,
      text: c.text,
    });
  let boxes = 0,
    texts = 0;
  const out: ManifestLine[] = lines.map((l) => {
    const id = byUri.get(l.uri);
    if (!id)
      throw new Error(`verified set: ${l.uri} of ${join(world, COLLECTION_DIR, MANIFEST)} is not in the world's truth`);
    const b = objects.get(id) ?? [];
    const t = captions.get(id) ?? [];
    boxes += b.length;
    texts += t.length;
    return { uri: l.uri, ...(l.alt_text ? { alt_text: l.alt_text } : {}), boxes: b, texts: t };
  });
  const file = join(world, COLLECTION_DIR, VERIFIED_MANIFEST);
  writeAtomic(file, out.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { file, images: out.length, boxes, texts };
}

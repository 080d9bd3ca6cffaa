import { resolve } from 'node:path';
import type { EngineConfig } from '../../schemas/config.ts';
import { DEMO_WORLD_DOMAIN } from '../../schemas/model-manifest.ts';
import { readManifest } from '../../specialists/registry/model-folder.ts';
import { shortPath } from '../../specialists/registry/registry.ts';
import { BUILT_IN_REFS, resolveSpecialistRef } from '../../specialists/registry/specialist-refs.ts';
import { demoWorldOf } from '../../demo/world/is-world.ts';

/**
 * Checks of `fld run` and `fld enqueue` before any work, about the models a round will run on the
 * user's images (docs/operations.md, "Specialists").
 */

/** `fld run` / `fld enqueue` option: a round 0 with no specialist, the collection's own annotations alone. */
export const ANNOTATIONS_ONLY = [
  '--annotations-only',
  "with no specialist configured: run the collection's own annotations (alt-texts, boxes, texts of a manifest) through the filters and merge alone",
] as const;

/**
 * A round with no specialist annotates nothing: the default config would give an empty round (or
 * only the pre-existing annotations a manifest carries, verified set or not). So the command stops,
 * naming the field and an example, unless `--annotations-only` says that is what is wanted.
 */
export function requireSpecialists(command: string, config: EngineConfig, annotationsOnly: boolean): void {
  if (annotationsOnly || Object.keys(config.specialists).length) return;
  throw Object.assign(
    new Error(
      `${command}: no specialist configured, so nothing would annotate the images: set "specialists" in the config, e.g. {"ocr": "ppocr-v4"} (fld models list shows the models), or pass --annotations-only to run only the collection's own annotations (alt-texts, boxes, texts) through the filters`,
    ),
    { exitCode: 2 },
  );
}

/**
 * One warning line per model marked `"domain": "demo-world"` that the round would run on a source
 * that is not a demo world (demo/world/is-world.ts): its labels (ten shapes, the demo world's
 * words and captions) mean nothing on other images. Returns the lines written.
 */
export async function warnDemoModels(
  specialists: Record<string, string>,
  source: string,
  write: (line: string) => void,
): Promise<string[]> {
  if (demoWorldOf(source)) return [];
  const slots = new Map<string, string[]>();
  for (const [slot, ref] of Object.entries(specialists)) {
    const dir = resolveSpecialistRef(ref);
    if (!dir || dir in BUILT_IN_REFS) continue;
    const key = resolve(dir);
    slots.set(key, [...(slots.get(key) ?? []), slot]);
  }
  const lines: string[] = [];
  for (const [dir, used] of slots) {
    const m = await readManifest(dir).catch(() => null);
    if (m?.domain !== DEMO_WORLD_DOMAIN) continue;
    const line = `warning: model ${m.name} (${shortPath(dir)}, specialists ${used.join(', ')}) was trained on the demo world: its labels are only meaningful on demo-world images (fld world generate), and ${source} is not a demo world; for your own images point "specialists" at a real model (fld models list)`;
    write(line + '\n');
    lines.push(line);
  }
  return lines;
}

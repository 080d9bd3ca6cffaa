import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { MODEL_MANIFEST_FILE } from '../../schemas/model-manifest.ts';
import { CATALOGUE, type CatalogueEntry } from './catalogue.ts';
import { registryDir, shortPath } from './registry.ts';

/** Models that need no folder: a name in config `specialists` that the engine runs from an npm package. */
export const BUILT_IN_REFS: Record<string, string> = { 'ppocr-v4': 'ocr' };

/**
 * What a config `specialists` value names, in this order: a built-in model (`ppocr-v4`, OCR slot
 * only), a model folder (a path holding `fld-model.json`), or a model in the registry by name
 * (`--registry`, `FLD_MODELS`, `.fld/models`). Returns the built-in name or the folder's path; null
 * when it names nothing (specialistRefProblem says why).
 */
export function resolveSpecialistRef(ref: string, registry: string = registryDir()): string | null {
  if (ref in BUILT_IN_REFS) return ref;
  if (existsSync(join(ref, MODEL_MANIFEST_FILE))) return ref;
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref) && existsSync(join(registry, ref, MODEL_MANIFEST_FILE)))
    return join(registry, ref);
  return null;
}

/**
 * Why `specialists.<slot> = <ref>` cannot run, or null when it can. A missing folder names the
 * catalogue and the `fld models pull` that would fetch a model of that name.
 */
export function specialistRefProblem(
  slot: string,
  ref: string,
  registry: string = registryDir(),
  catalogue: CatalogueEntry[] = CATALOGUE,
): string | null {
  const at = `config specialists.${slot} = "${ref}"`;
  if (ref in BUILT_IN_REFS)
    return BUILT_IN_REFS[ref] === slot
      ? null
      : `${at}: ${ref} is the built-in ${BUILT_IN_REFS[ref]} model; it serves specialists.${BUILT_IN_REFS[ref]} only`;
  if (resolveSpecialistRef(ref, registry)) return null;
  if (existsSync(ref) && statSync(ref).isDirectory())
    return `${at}: ${shortPath(resolve(ref))} is not a model folder (no ${MODEL_MANIFEST_FILE}); fld models verify <folder> checks one`;
  const names = catalogue.map((c) => c.name);
  const known = names.find((n) => n === basename(ref));
  const pull = known
    ? `fld models pull ${known} fetches it into ${shortPath(registry)}`
    : `fld models pull <name> fetches a public model into ${shortPath(registry)}`;
  return `${at}: no such model folder and no model of that name in the registry ${shortPath(registry)}; ${pull} (catalogue: ${names.join(', ')}; fld models list shows what is here)`;
}

/** Every problem of a config's `specialists`, one line each; throws them together so none is found only later, on a worker. */
export function checkSpecialistRefs(specialists: Record<string, string>, registry: string = registryDir()): void {
  const problems = Object.entries(specialists)
    .map(([slot, ref]) => specialistRefProblem(slot, ref, registry))
    .filter((p): p is string => p !== null);
  if (problems.length) throw new Error(problems.join('\n'));
}

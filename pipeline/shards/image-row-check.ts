import { Granularity } from '../../schemas/records.ts';

/**
 * A plain-code check of an image row against schemas/records.ts `ImageRecord`, at least as strict
 * as the zod schema: true only for rows zod accepts. writeShard runs zod only on a row this refuses,
 * so a good row costs no parse objects (an enqueue writes a million of them) and a bad one still
 * gets zod's message naming the field.
 */
const GRANULARITIES: ReadonlySet<unknown> = new Set(Granularity.options);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isSize = (v: unknown): boolean => v === null || (Number.isSafeInteger(v) && (v as number) > 0);
const isTextOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isFiniteNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

// Indexed loops: for-of over the planner's shared frozen empty list made an iterator per row.
function isTexts(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const t = v[i];
    if (!isObject(t) || !GRANULARITIES.has(t.granularity) || typeof t.text !== 'string') return false;
  }
  return true;
}

function isBoxes(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (!isObject(b) || typeof b.category !== 'string') return false;
    const box = b.box;
    if (!Array.isArray(box) || box.length !== 4) return false;
    if (!isFiniteNumber(box[0]) || !isFiniteNumber(box[1]) || !isFiniteNumber(box[2]) || !isFiniteNumber(box[3]))
      return false;
  }
  return true;
}

export function isImageRow(r: unknown): boolean {
  return (
    isObject(r) &&
    isId(r.image_id) &&
    isId(r.uri) &&
    isSize(r.width) &&
    isSize(r.height) &&
    isId(r.collection) &&
    Number.isSafeInteger(r.shard) &&
    (r.shard as number) >= 0 &&
    isTextOrNull(r.alt_text) &&
    isTexts(r.existing_texts) &&
    isBoxes(r.existing_boxes) &&
    isTextOrNull(r.error)
  );
}

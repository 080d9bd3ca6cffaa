/**
 * The text of a caption-like output as it goes into a row: what `decode(..., skip_special_tokens)`
 * would give plus loc tokens removed. The runner decodes with special tokens kept (the box parsers need
 * `<loc_N>` and `<sep>`), so a caption from a weak or misbehaving model can carry `<s>`, `<pad>`,
 * `<loc_12>` or a task token such as `<od>` into the text filters and the training targets.
 */
import { SPECIAL_TOKENS } from '../../schemas/florence2-tokens.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Every Florence-2 / BART special token and every `<loc_N>`, longest alternatives first. */
const SPECIAL = new RegExp(
  [...[...SPECIAL_TOKENS].sort((a, b) => b.length - a.length).map(escapeRegExp), '<loc_\\d+>'].join('|'),
  'g',
);

/**
 * Special and loc tokens removed (not replaced by a space: byte-level BPE carries its own spaces, so
 * `car<loc_1> next` reads `car next`), whitespace runs collapsed to one space, trimmed.
 */
export function cleanCaptionText(text: string): string {
  return text.replace(SPECIAL, '').replace(/\s+/g, ' ').trim();
}

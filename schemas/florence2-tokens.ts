/**
 * Lexical pieces shared by the Florence-2 target builders and output parsers: the special tokens,
 * removal of sequence tokens, and the split of generated text into runs of `<loc_N>` tokens.
 */

/** Florence-2 special tokens other than `<loc_N>` (docs/florence2-formats.md section 2) plus the BART ones. */
export const SPECIAL_TOKENS: readonly string[] = [
  '<s>',
  '</s>',
  '<pad>',
  '<unk>',
  '<mask>',
  '<od>',
  '</od>',
  '<ocr>',
  '</ocr>',
  '<cap>',
  '</cap>',
  '<ncap>',
  '</ncap>',
  '<dcap>',
  '</dcap>',
  '<grounding>',
  '</grounding>',
  '<seg>',
  '</seg>',
  '<sep>',
  '<region_cap>',
  '</region_cap>',
  '<region_to_desciption>',
  '</region_to_desciption>',
  '<proposal>',
  '</proposal>',
  '<poly>',
  '</poly>',
  '<and>',
];

/** The tail of a special token after its `<` (`sep>`, `/poly>`), longest first so `/poly>` wins over a shorter one. */
const SPECIAL_TAILS = SPECIAL_TOKENS.map((t) => t.slice(1)).sort((a, b) => b.length - a.length);

/** Remove `<s>`, `</s>` and `<pad>` in MSP's order (a removal can join the pieces of another token, as in MSP). */
export function stripSequenceTokens(text: string): string {
  return text.replaceAll('<s>', '').replaceAll('</s>', '').replaceAll('<pad>', '');
}

export interface LocRun {
  /** Text between the end of the previous run (or the start) and this run. */
  pre: string;
  bins: number[];
}

/**
 * The next `<loc_(\d+)>` at or after `from`, as the references' regex reads it (any digits), or null.
 * A hand scan rather than `matchAll`: it is most of the parse time and avoids a match object per token.
 */
export function nextLoc(text: string, from: number): { at: number; end: number; bin: number } | null {
  for (let at = text.indexOf('<loc_', from); at >= 0; at = text.indexOf('<loc_', at + 1)) {
    let i = at + 5;
    while (i < text.length) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      i++;
    }
    // Number() of the digits, as the references read them (exact for long digit strings too).
    if (i > at + 5 && text.charCodeAt(i) === 62 /* > */) return { at, end: i + 1, bin: Number(text.slice(at + 5, i)) };
  }
  return null;
}

/** Maximal runs of adjacent `<loc_N>` tokens, each with the text before it, plus the text after the last. */
export function locRuns(text: string): { runs: LocRun[]; tail: string } {
  const runs: LocRun[] = [];
  let last = 0; // end of the previous token
  let cur: LocRun | null = null;
  for (let m = nextLoc(text, 0); m; m = nextLoc(text, m.end)) {
    if (cur && m.at === last) cur.bins.push(m.bin);
    else {
      cur = { pre: text.slice(last, m.at), bins: [m.bin] };
      runs.push(cur);
    }
    last = m.end;
  }
  return { runs, tail: text.slice(last) };
}

/**
 * The label written before a run of loc tokens: the run of text without `<` that ends at the run, as
 * MSP's `[^<]+` and TJS's `([^<]+)?` read it. When that text begins with the tail of a Florence-2
 * special token (`sep>` left of `car<sep><loc_1>...`), the tail is dropped: the references keep `sep>`.
 * Untrimmed.
 */
export function labelBeforeRun(pre: string): string {
  const lt = pre.lastIndexOf('<');
  if (lt < 0) return pre;
  const after = pre.slice(lt + 1);
  const tail = SPECIAL_TAILS.find((t) => after.startsWith(t));
  return tail ? after.slice(tail.length) : after;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7F]/;
// eslint-disable-next-line no-control-regex
const NON_ASCII_G = /[^\x00-\x7F]/g;

/** MSP's `phrase.encode('ascii', errors='ignore')`. */
export function dropNonAscii(s: string): string {
  // eslint-disable-next-line no-control-regex
  return NON_ASCII.test(s) ? s.replace(NON_ASCII_G, '') : s;
}

const LINE_BREAK_G = /[\n\r\u2028\u2029]/g;

/** The text after the last line break: the references read OCR text with `.`, which stops at line breaks. */
export function lastLine(s: string): string {
  let from = 0;
  for (const m of s.matchAll(LINE_BREAK_G)) from = m.index! + 1;
  return s.slice(from);
}

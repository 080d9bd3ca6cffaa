/**
 * The two rewrites of a text before wink-nlp reads it (see `tokenize` in tokens.ts for why), as
 * character scans rather than regular-expression replaces: the result is the same string (the tests
 * compare them with the expressions below on random texts), at a fraction of the cost, which counts
 * since every caption goes through both.
 *
 * - `lowerSentenceStarts`: `text.replace(/(^\s*|[.!?]["')\]]?\s+)([A-Z][a-z]+)(?=[\s,;:]+[^A-Z\s])/g,
 *   (_, pre, word) => pre + word[0].toLowerCase() + word.slice(1))`
 * - `spaceFinalDots`: `text.replace(/(\b[a-z]{2,})\.(?=\s+["'(]?[A-Z]|\s*$)/g, '$1 .')`
 *
 * `\s` is JavaScript's white space (`isSpace`), `\b` an ASCII word boundary.
 */

/** JavaScript's `\s`. */
export function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The parts joined into one flat string: a string built with + is a tree of pieces, and reading it
 * a character at a time (as `tokenize` does, per token) is several times slower than a flat one.
 */
function flat(parts: string[], last: string): string {
  parts.push(last);
  return parts.join('');
}

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isWordChar = (c: number) => isUpper(c) || isLower(c) || (c >= 48 && c <= 57) || c === 95;

/**
 * Where a capitalised word starting at `w` ends, if it is followed as the lookahead asks
 * (`[A-Z][a-z]+(?=[\s,;:]+[^A-Z\s])`); -1 if not.
 */
function capitalisedWordEnd(text: string, w: number): number {
  const n = text.length;
  if (w >= n || !isUpper(text.charCodeAt(w))) return -1;
  let e = w + 1;
  while (e < n && isLower(text.charCodeAt(e))) e++;
  if (e === w + 1) return -1;
  // [\s,;:]+ then a character that is neither A-Z nor white space: either a , ; or : inside the run
  // after its first character, or the character that ends the run
  let k = e;
  for (; k < n; k++) {
    const c = text.charCodeAt(k);
    if (isSpace(c)) continue;
    if (c === 44 || c === 59 || c === 58) {
      if (k > e) return e;
      continue;
    }
    break;
  }
  if (k === e || k === n) return -1;
  return isUpper(text.charCodeAt(k)) ? -1 : e;
}

/** Where the sentence start `[.!?]["')\]]?\s+` at `p` is followed by its word, that word's start; else -1. */
function afterPunctuation(text: string, p: number): number {
  const n = text.length;
  let q = p + 1;
  if (q < n) {
    const c = text.charCodeAt(q);
    if (c === 34 || c === 39 || c === 41 || c === 93) q++;
  }
  const spaces = q;
  while (q < n && isSpace(text.charCodeAt(q))) q++;
  return q > spaces ? q : -1;
}

/** The first `c` in `text` at or after `from`; the text's length when there is none. */
function nextAt(text: string, c: string, from: number): number {
  const k = text.indexOf(c, from);
  return k < 0 ? text.length : k;
}

/** The text with each sentence's first capitalised word lower-cased (its first letter). */
export function lowerSentenceStarts(text: string): string {
  const n = text.length;
  const out: string[] = [];
  let copied = 0;
  // at the start: white space, then the word; else the start may still be punctuation
  let w = 0;
  while (w < n && isSpace(text.charCodeAt(w))) w++;
  let e = capitalisedWordEnd(text, w);
  let p = 0;
  if (e >= 0) {
    out.push(text.slice(0, w), String.fromCharCode(text.charCodeAt(w) + 32));
    copied = w + 1;
    p = e;
  }
  // the next . ! and ? from p on (n when none), found by indexOf rather than by reading every character
  let dot = nextAt(text, '.', p),
    bang = nextAt(text, '!', p),
    question = nextAt(text, '?', p);
  for (;;) {
    if (dot < p) dot = nextAt(text, '.', p);
    if (bang < p) bang = nextAt(text, '!', p);
    if (question < p) question = nextAt(text, '?', p);
    p = dot < bang ? (dot < question ? dot : question) : bang < question ? bang : question;
    if (p >= n) break;
    w = afterPunctuation(text, p);
    p++;
    if (w < 0) continue;
    e = capitalisedWordEnd(text, w);
    if (e < 0) continue;
    out.push(text.slice(copied, w), String.fromCharCode(text.charCodeAt(w) + 32));
    copied = w + 1;
    p = e;
  }
  return copied === 0 ? text : flat(out, text.slice(copied));
}

/** Whether the sentence end lookahead `(?=\s+["'(]?[A-Z]|\s*$)` holds after the period at `d`. */
function endsSentence(text: string, d: number): boolean {
  const n = text.length;
  let k = d + 1;
  while (k < n && isSpace(text.charCodeAt(k))) k++;
  if (k === n) return true;
  if (k === d + 1) return false;
  const c = text.charCodeAt(k);
  if (isUpper(c)) return true;
  return (c === 34 || c === 39 || c === 40) && k + 1 < n && isUpper(text.charCodeAt(k + 1));
}

/** The text with a space before each sentence-final period that follows a lower-case word. */
export function spaceFinalDots(text: string): string {
  const out: string[] = [];
  let copied = 0;
  for (let d = text.indexOf('.'); d >= 0; d = text.indexOf('.', d + 1)) {
    // [a-z]{2,} right before, starting at a word boundary
    let s = d;
    while (s > 0 && isLower(text.charCodeAt(s - 1))) s--;
    if (d - s < 2 || (s > 0 && isWordChar(text.charCodeAt(s - 1)))) continue;
    if (!endsSentence(text, d)) continue;
    out.push(text.slice(copied, d), ' ');
    copied = d;
  }
  return copied === 0 ? text : flat(out, text.slice(copied));
}

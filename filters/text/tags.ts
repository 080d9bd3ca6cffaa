import {
  ADJ,
  ADP,
  ADV,
  AUX,
  CCONJ,
  DET,
  NO_POS,
  NOUN,
  NUM,
  PART,
  PRON,
  PROPN,
  PUNCT,
  SCONJ,
  VERB,
  type Words,
} from './tokens.ts';
import { Uint8Scratch } from './scratch.ts';

/**
 * Corrections of wink-nlp's POS tags that matter for captions. Each rule is small, local and
 * documented in docs/parse-rules.md ("Tag corrections"); the original tag stays in `winkPos`.
 */

/** Words that quantify rather than describe: determiners, never attributes. */
export const QUANTIFIERS = new Set([
  'few',
  'several',
  'many',
  'much',
  'some',
  'any',
  'each',
  'every',
  'all',
  'both',
  'other',
  'another',
  'various',
  'numerous',
  'such',
  'more',
  'most',
  'less',
  'least',
  'enough',
  'no',
]);

/** Degree words that stay adverbs when they modify an adjective inside a noun phrase. */
export const INTENSIFIERS = new Set([
  'very',
  'quite',
  'rather',
  'too',
  'so',
  'fairly',
  'extremely',
  'really',
  'pretty',
  'slightly',
  'somewhat',
  'highly',
  'mostly',
  'partly',
  'almost',
  'just',
  'also',
  'even',
  'only',
  'still',
]);

/** Multiword prepositions: their nouns are part of the preposition, not objects. */
const COMPLEX_PREPOSITIONS: string[][] = [
  ['in', 'front', 'of'],
  ['on', 'top', 'of'],
  ['next', 'to'],
  ['close', 'to'],
  ['ahead', 'of'],
  ['because', 'of'],
  ['instead', 'of'],
  ['out', 'of'],
  ['in', 'between'],
  ['on', 'top'],
  ['due', 'to'],
  ['along', 'with'],
  ['together', 'with'],
  ['such', 'as'],
];

export const COLOURS = new Set([
  'red',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'violet',
  'pink',
  'brown',
  'black',
  'white',
  'gray',
  'grey',
  'beige',
  'turquoise',
  'teal',
  'navy',
  'maroon',
  'golden',
  'gold',
  'silver',
  'cream',
  'tan',
  'olive',
  'crimson',
]);
const ING_NOUNS = new Set([
  'building',
  'painting',
  'ceiling',
  'clothing',
  'railing',
  'ring',
  'king',
  'thing',
  'string',
  'wing',
  'morning',
  'evening',
  'sibling',
  'pudding',
  'icing',
  'awning',
  'frosting',
  'bedding',
  'landing',
  'crossing',
  'parking',
  'wedding',
  'meeting',
  'opening',
  'drawing',
  'siding',
  'lighting',
  'spring',
  'swing',
  'sling',
  'stuffing',
  'filling',
]);
const IRREGULAR_PAST = new Set([
  'ran',
  'sat',
  'stood',
  'ate',
  'took',
  'held',
  'flew',
  'rode',
  'lay',
  'hung',
  'wore',
  'saw',
  'came',
  'went',
  'fell',
  'drove',
  'swam',
  'threw',
  'caught',
  'made',
  'put',
  'cut',
  'let',
  'set',
  'lit',
]);
const BE = new Set(['is', 'are', 'was', 'were', 'be', 'been', "'s", "'re", 'am']);
const LINKING = new Set([
  'looks',
  'look',
  'looked',
  'appears',
  'appear',
  'appeared',
  'seems',
  'seem',
  'seemed',
  'feels',
  'feel',
  'felt',
  'remains',
  'remain',
  'stays',
  'becomes',
  'become',
]);
/** A singular-looking noun: no plural "-s" ("bus", "glass" and "-us" words are singular). */
const singular = (w: string) => !w.endsWith('s') || w.endsWith('ss') || w.endsWith('us');
const POSSESSIVE = new Set(['my', 'your', 'his', 'her', 'its', 'our', 'their']);
const PREPOSITION_STARTS = new Map<string, string[][]>();
/**
 * First letter and length (16 and over counted as 15) of the multiword prepositions' first words: most
 * words, "the" and "a" among them, are ruled out without a map lookup.
 */
const PREPOSITION_SHAPES = new Uint8Array(128 * 16);
const shapeOf = (initial: number, length: number) => initial * 16 + (length < 15 ? length : 15);
for (const mw of COMPLEX_PREPOSITIONS) {
  const list = PREPOSITION_STARTS.get(mw[0]);
  if (list) list.push(mw);
  else PREPOSITION_STARTS.set(mw[0], [mw]);
  PREPOSITION_SHAPES[shapeOf(mw[0].charCodeAt(0), mw[0].length)] = 1;
}
/** Token k (-1: none) is a determiner or a possessive pronoun. */
function detLike(w: Words, k: number): boolean {
  if (k < 0) return false;
  const p = w.pos[k];
  return p === DET || (p === PRON && POSSESSIVE.has(w.lower[k]));
}
/** The tags after which an adjective ends its run (rule 15). */
function adjFollower(p: number): boolean {
  return p === PUNCT || p === ADP || p === SCONJ || p === CCONJ || p === AUX || p === VERB;
}
const form = (w: string) => (w.endsWith('ing') ? 'ing' : pluralLike(w) ? 's' : w.endsWith('ed') ? 'ed' : 'bare');

// Word-shape tests as string checks rather than regular expressions (each runs once per candidate token).
/** /(ing|ed|en)$/ */
export function participleLike(w: string): boolean {
  const n = w.length;
  if (n < 2) return false;
  const last = w.charCodeAt(n - 1);
  const before = w.charCodeAt(n - 2);
  // g: -ing; d, n: -ed, -en
  if (last === 103) return n >= 3 && before === 110 && w.charCodeAt(n - 3) === 105;
  return (last === 100 || last === 110) && before === 101;
}
/** /[^s]s$/ */
function pluralLike(w: string): boolean {
  return w.length >= 2 && w.charCodeAt(w.length - 1) === 115 && w.charCodeAt(w.length - 2) !== 115;
}
/** /^[A-Z]/ */
function capitalised(w: string): boolean {
  const c = w.charCodeAt(0);
  return c >= 65 && c <= 90;
}
/** /^[a-z]+$/ */
function lowerLetters(w: string): boolean {
  if (w.length === 0) return false;
  for (let k = 0; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

const changedScratch = new Uint8Scratch();

/** Applies the corrections in place (to `w.pos`), within each sentence. */
export function correctTags(w: Words): void {
  const n = w.n;
  const P = w.pos;
  const L = w.lower;
  // 1. Multiword prepositions become ADP tokens (the last one carries the phrase's case role).
  for (let i = 0; i < n; i++) {
    const lower = L[i];
    const initial = lower.charCodeAt(0);
    if (!(initial < 128 && PREPOSITION_SHAPES[shapeOf(initial, lower.length)] === 1)) continue;
    const candidates = PREPOSITION_STARTS.get(lower);
    if (!candidates) continue;
    for (const mw of candidates) {
      if (i + mw.length > n) continue;
      let ok = true;
      for (let k = 0; k < mw.length; k++)
        if (L[i + k] !== mw[k]) {
          ok = false;
          break;
        }
      // "on top" alone is adverbial ("with items on top"); keep it only before a non-noun.
      if (ok && mw.length === 2 && mw[1] === 'top' && i + 2 < n) {
        const nx = P[i + 2];
        if (nx === DET || nx === NOUN || L[i + 2] === 'of') ok = false;
      }
      if (ok) {
        for (let k = 0; k < mw.length; k++) P[i + k] = mw.length === 2 && mw[1] === 'top' ? ADV : ADP;
        i += mw.length - 1;
        break;
      }
    }
  }
  // a second pass only around what the first one changed ("the back wall": wall, then back)
  // two past the end: the second pass looks two tokens ahead
  const changed = changedScratch.take(n + 2);
  if (localRules(w, null, changed)) localRules(w, changed, null);
  sentenceRules(w);
}

/** Runs the local rules (all tokens, or those near a change); whether any tag changed. */
function localRules(w: Words, near: Uint8Array | null, changed: Uint8Array | null): boolean {
  const n = w.n;
  const P = w.pos;
  let any = false;
  for (let i = 0; i < n; i++) {
    // second pass: only tokens next to a change (the rules look one or two tokens around)
    if (near && !(near[i] || (i > 0 && near[i - 1]) || near[i + 1] || (i > 1 && near[i - 2]) || near[i + 2])) continue;
    const before = P[i];
    localRule(w, i, n);
    if (P[i] !== before) {
      any = true;
      if (changed) changed[i] = 1;
    }
  }
  return any;
}

/**
 * 2. Quantifiers are determiners ("a few items", "several cars", "the other cup"); whether it
 * applied. `np`: the next token's tag (NO_POS if none).
 */
function quantifierRule(w: Words, i: number, np: number): boolean {
  const p = w.pos[i];
  if (
    (p === ADJ || p === ADV || p === PRON) &&
    QUANTIFIERS.has(w.lower[i]) &&
    (np === NOUN || np === PROPN || np === ADJ || np === NUM)
  ) {
    w.pos[i] = DET;
    return true;
  }
  return false;
}

function localRule(w: Words, i: number, n: number): void {
  const P = w.pos;
  const L = w.lower;
  const S = w.sent;
  // every rule below asks for one of these tags, except the one for "while"
  const p = P[i];
  const lower = L[i];
  if (p !== NOUN && p !== VERB && p !== ADJ && p !== ADV && p !== PRON && p !== AUX && lower !== 'while') return;
  const s = S[i];
  // neighbours in the sentence (-1: none) and their tags (NO_POS: none, equal to no tag)
  const prev = i > 0 && S[i - 1] === s ? i - 1 : -1;
  const next = i + 1 < n && S[i + 1] === s ? i + 1 : -1;
  const prev2 = i > 1 && S[i - 2] === s ? i - 2 : -1;
  const pp = prev >= 0 ? P[prev] : NO_POS;
  const np = next >= 0 ? P[next] : NO_POS;
  const pp2 = prev2 >= 0 ? P[prev2] : NO_POS;
  // "past" before a noun phrase is the preposition ("drives past a tower").
  if (lower === 'past' && p === ADJ && (np === DET || np === PROPN || (np === PRON && POSSESSIVE.has(L[next])))) {
    P[i] = ADP;
    return;
  }
  // 9. "while" before a clause is a subordinator, not the noun.
  if (lower === 'while' && (np === DET || np === PRON || np === NOUN || np === PROPN)) {
    P[i] = SCONJ;
    return;
  }
  // each rule below asks for one tag, and they are tried in the same order within a tag
  switch (p) {
    case NOUN:
      // 10. Colour words before a noun or ending a predicate are adjectives ("turquoise water", "is orange").
      if (
        COLOURS.has(lower) &&
        (pp !== DET || np === NOUN || np === PROPN || np === ADJ) &&
        (next < 0 || np === NOUN || np === PROPN || np === ADJ || np === PUNCT || np === CCONJ)
      ) {
        P[i] = ADJ;
        return;
      }
      // 13. An -ing noun after "be" is the progressive verb ("is tasting a slice").
      if (lower.endsWith('ing') && !ING_NOUNS.has(lower) && pp === AUX && BE.has(L[prev])) {
        P[i] = VERB;
        return;
      }
      // 16. After "and" inside a predicate ("is quiet and dim"), a noun ending the sentence is an adjective.
      if (pp === CCONJ && pp2 === ADJ && (next < 0 || np === PUNCT) && !lower.endsWith('s')) {
        let k = i - 3;
        while (k >= 0 && S[k] === s && (P[k] === ADV || P[k] === ADJ)) k--;
        if (k >= 0 && (P[k] === AUX || LINKING.has(L[k]))) {
          P[i] = ADJ;
          return;
        }
      }
      // 3. A participle tagged NOUN right after a noun and before a preposition, determiner, adverb or
      //    the end is a reduced relative clause verb ("a man standing in a kitchen").
      if (
        participleLike(lower) &&
        (pp === NOUN || pp === PROPN || pp === PRON) &&
        (next < 0 || np === ADP || np === DET || np === ADV || np === PUNCT || np === PRON || np === CCONJ)
      ) {
        P[i] = VERB;
        return;
      }
      // 7. A noun between a noun (or pronoun) and a determiner is the verb of that clause ("the photo
      //    captures the tower", "trees line the edge").
      if (
        (pp === NOUN || pp === PROPN || (pp === PRON && !POSSESSIVE.has(L[prev]))) &&
        (np === DET || (np === PRON && POSSESSIVE.has(L[next])))
      ) {
        P[i] = VERB;
        return;
      }
      return;
    case VERB:
      // 11. A verb inside a noun phrase is a noun: after a determiner ("along the Seine"), after a
      //     determiner and an adjective ("a fast pitch"), after a determiner and a singular noun when it
      //     is a bare form that cannot agree ("a bus stop", "a kitchen counter"), or a known -ing noun.
      if (!(np === NOUN || np === PROPN || np === ADJ || np === DET)) {
        const bare =
          !(lower.endsWith('s') || lower.endsWith('ed') || lower.endsWith('ing')) && !IRREGULAR_PAST.has(lower);
        if (
          detLike(w, prev) ||
          ((pp === ADJ || (pp === ADV && !L[prev].endsWith('ly'))) && detLike(w, prev2)) ||
          ((pp === NOUN || pp === PROPN) &&
            singular(L[prev]) &&
            (pp2 === DET || pp2 === ADJ || pp2 === PROPN) &&
            (bare || ING_NOUNS.has(lower))) ||
          (ING_NOUNS.has(lower) && (pp === ADJ || pp === NOUN || detLike(w, prev))) ||
          (pp === NOUN && pp2 === ADP && (next < 0 || np === PUNCT))
        ) {
          P[i] = capitalised(w.texts[i]) && i > 0 ? PROPN : NOUN;
          return;
        }
      }
      // 12. A plural-looking verb right after another verb is its object ("eating leaves").
      if (pp === VERB && pluralLike(lower) && np !== DET) {
        P[i] = NOUN;
        return;
      }
      // 14. A participle after a linking verb is a predicate adjective ("looks focused").
      if (lower.endsWith('ed') && prev >= 0 && LINKING.has(L[prev])) {
        P[i] = ADJ;
        return;
      }
      // 4. A participle between a determiner / adjective / hyphen and a noun modifies that noun
      //    ("a light-colored floor", "the parked car").
      if (
        participleLike(lower) &&
        prev >= 0 &&
        (np === NOUN || np === PROPN) &&
        (pp === DET || pp === ADJ || pp === NUM || pp === ADP || (w.texts[prev] === '-' && w.end[prev] === w.start[i]))
      ) {
        P[i] = ADJ;
        return;
      }
      // 8. A verb right after a determiner, not before a noun or adjective, is a noun ("along the Seine").
      if (pp === DET && !(np === NOUN || np === PROPN || np === ADJ)) {
        P[i] = capitalised(w.texts[i]) ? PROPN : NOUN;
        return;
      }
      return;
    case ADJ:
      // 15. A noun phrase needs a noun: an adjective that ends a run after a determiner or a
      //     preposition is that noun ("at a red light", "let in bright natural light", "the light is").
      if (next < 0 || adjFollower(np)) {
        let k = i - 1;
        while (k >= 0 && S[k] === s && (P[k] === ADJ || P[k] === NUM || P[k] === ADV)) k--;
        const before = k >= 0 && S[k] === s ? k : -1;
        if (
          before >= 0 &&
          (detLike(w, before) || (P[before] === ADP && k < i - 1)) &&
          !QUANTIFIERS.has(lower) &&
          !(np === ADP && L[next] === 'of' && (lower.endsWith('er') || lower.endsWith('est')))
        ) {
          P[i] = NOUN;
          return;
        }
      }
      quantifierRule(w, i, np);
      return;
    case ADV:
      if (quantifierRule(w, i, np)) return;
      // 6. A non-degree adverb before an adjective or noun, after a determiner / adjective / numeral,
      //    is an adjective ("a small blue monster", "light beige").
      if (
        (np === ADJ || np === NOUN) &&
        !lower.endsWith('ly') &&
        !INTENSIFIERS.has(lower) &&
        lowerLetters(lower) &&
        (prev < 0 ||
          pp === DET ||
          pp === ADJ ||
          pp === NUM ||
          pp === AUX ||
          pp === VERB ||
          pp === ADP ||
          pp === CCONJ ||
          pp === PUNCT)
      ) {
        P[i] = ADJ;
        return;
      }
      return;
    case PRON:
      quantifierRule(w, i, np);
      return;
    case AUX:
      // 5. "have" / "do" tagged AUX with no verb after it is the main verb ("the window has a view").
      if (
        lower === 'has' ||
        lower === 'have' ||
        lower === 'had' ||
        lower === 'having' ||
        lower === 'does' ||
        lower === 'do' ||
        lower === 'did'
      ) {
        let j = i + 1;
        while (j < n && S[j] === s && (P[j] === ADV || P[j] === PART)) j++;
        const after = j < n && S[j] === s ? j : -1;
        if (after < 0 || !(P[after] === VERB || P[after] === AUX)) P[i] = VERB;
        // "has broken windows": a participle straight before a noun is an adjective, "has" the verb
        else if (
          P[after] === VERB &&
          (L[after].endsWith('ed') || L[after].endsWith('en')) &&
          j + 1 < n &&
          (P[j + 1] === NOUN || P[j + 1] === ADJ)
        ) {
          P[i] = VERB;
          P[after] = ADJ;
        }
      }
      return;
  }
}

/**
 * Rules that look at the whole sentence. 17: a sentence with no verb before a noun-noun pair whose
 * second noun agrees as a verb with the first (singular + "-s", plural + bare) and is followed by a
 * preposition, determiner or adverb reads it as the verb ("a white ball rolls toward", "warm lights
 * glow in"), unless the pair sits inside a prepositional phrase. 18: after "and", a noun followed by
 * an object (determiner, adjective, numeral) is a verb when an earlier verb of the sentence has the
 * same form ("fill the stands and wave large flags").
 */
function sentenceRules(w: Words): void {
  const n = w.n;
  const P = w.pos;
  const L = w.lower;
  const S = w.sent;
  let sawVerb = false;
  for (let i = 0; i < n; i++) {
    const s = S[i];
    if (i > 0 && S[i - 1] !== s) sawVerb = false;
    const p = P[i];
    if (p === VERB || p === AUX) {
      sawVerb = true;
      continue;
    }
    if (p !== NOUN) continue;
    const prev = i > 0 && S[i - 1] === s ? i - 1 : -1;
    const next = i + 1 < n && S[i + 1] === s ? i + 1 : -1;
    const next2 = i + 2 < n && S[i + 2] === s ? i + 2 : -1;
    const pp = prev >= 0 ? P[prev] : NO_POS;
    const np = next >= 0 ? P[next] : NO_POS;
    const lower = L[i];
    const objectNext =
      np === ADP ||
      np === DET ||
      np === ADV ||
      (np === PRON && POSSESSIVE.has(L[next])) ||
      (np === ADJ && next2 >= 0 && P[next2] === DET); // "drives past a tower": "past" read as ADJ
    if (!sawVerb && (pp === NOUN || pp === PROPN) && objectNext) {
      const plural = !singular(L[prev]);
      const agrees = plural ? !lower.endsWith('s') : pluralLike(lower);
      let k = i - 2;
      while (k >= 0 && S[k] === s && (P[k] === DET || P[k] === ADJ || P[k] === NUM || P[k] === NOUN)) k--;
      const inPP = k >= 0 && S[k] === s && P[k] === ADP;
      if (agrees && !inPP && !lower.endsWith('ing')) {
        P[i] = VERB;
        sawVerb = true;
        continue;
      }
    }
    if (pp === CCONJ && (np === DET || np === ADJ || np === NUM || (np === PRON && POSSESSIVE.has(L[next])))) {
      for (let k = i - 2; k >= 0 && S[k] === s; k--) {
        if (P[k] === VERB) {
          if (form(L[k]) === form(lower)) P[i] = VERB;
          break;
        }
      }
    }
  }
}

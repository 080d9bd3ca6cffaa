import type { Pos, Token } from './tokens.ts';
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
/**
 * The multiword prepositions by their first word's first letter and length (16 and over counted as
 * 15), in list order: most words, "the" and "a" among them, are ruled out by one array read, and the
 * rest compare with a word or two rather than hash for a map lookup.
 */
const PREPOSITIONS_BY_SHAPE: (string[][] | undefined)[] = new Array(128 * 16).fill(undefined);
const shapeOf = (initial: number, length: number) => initial * 16 + (length < 15 ? length : 15);
for (const mw of COMPLEX_PREPOSITIONS) {
  const shape = shapeOf(mw[0].charCodeAt(0), mw[0].length);
  const list = PREPOSITIONS_BY_SHAPE[shape];
  if (list) list.push(mw);
  else PREPOSITIONS_BY_SHAPE[shape] = [mw];
}
const detLike = (x: Token | undefined): boolean =>
  !!x && (x.pos === 'DET' || (x.pos === 'PRON' && POSSESSIVE.has(x.lower)));
const ADJ_FOLLOWERS = new Set(['PUNCT', 'ADP', 'SCONJ', 'CCONJ', 'AUX', 'VERB']);
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

function set(t: Token, pos: Pos): void {
  t.pos = pos;
}

const changedScratch = new Uint8Scratch();

/** Applies the corrections in place, within each sentence. */
export function correctTags(tokens: Token[]): void {
  const n = tokens.length;
  // 1. Multiword prepositions become ADP tokens (the last one carries the phrase's case role).
  for (let i = 0; i < n; i++) {
    const lower = tokens[i].lower;
    const initial = lower.charCodeAt(0);
    const candidates = initial < 128 ? PREPOSITIONS_BY_SHAPE[shapeOf(initial, lower.length)] : undefined;
    if (candidates === undefined) continue;
    for (let m = 0; m < candidates.length; m++) {
      const mw = candidates[m];
      if (mw[0] !== lower || i + mw.length > n) continue;
      let ok = true;
      for (let k = 0; k < mw.length; k++)
        if (tokens[i + k].lower !== mw[k]) {
          ok = false;
          break;
        }
      // "on top" alone is adverbial ("with items on top"); keep it only before a non-noun.
      if (ok && mw.length === 2 && mw[1] === 'top') {
        const nx = tokens[i + 2];
        if (nx && (nx.pos === 'DET' || nx.pos === 'NOUN' || nx.lower === 'of')) ok = false;
      }
      if (ok) {
        for (let k = 0; k < mw.length; k++) set(tokens[i + k], mw.length === 2 && mw[1] === 'top' ? 'ADV' : 'ADP');
        i += mw.length - 1;
        break;
      }
    }
  }
  // a second pass only around what the first one changed ("the back wall": wall, then back)
  // two past the end: the second pass looks two tokens ahead
  const changed = changedScratch.take(n + 2);
  if (localRules(tokens, null, changed)) localRules(tokens, changed, null);
  sentenceRules(tokens);
}

/** Runs the local rules (all tokens, or those near a change); whether any tag changed. */
function localRules(tokens: Token[], near: Uint8Array | null, changed: Uint8Array | null): boolean {
  const n = tokens.length;
  let any = false;
  for (let i = 0; i < n; i++) {
    // second pass: only tokens next to a change (the rules look one or two tokens around)
    if (near && !(near[i] || (i > 0 && near[i - 1]) || near[i + 1] || (i > 1 && near[i - 2]) || near[i + 2])) continue;
    const t = tokens[i];
    const before = t.pos;
    // the tags localRule asks for (and "while"), tested before the call: about half the tokens have none
    if (
      before !== 'NOUN' &&
      before !== 'VERB' &&
      before !== 'ADJ' &&
      before !== 'ADV' &&
      before !== 'PRON' &&
      before !== 'AUX' &&
      t.lower !== 'while'
    )
      continue;
    localRule(tokens, i, n);
    if (t.pos !== before) {
      any = true;
      if (changed) changed[i] = 1;
    }
  }
  return any;
}

/** 2. Quantifiers are determiners ("a few items", "several cars", "the other cup"); whether it applied. */
function quantifierRule(t: Token, next: Token | undefined): boolean {
  if (
    (t.pos === 'ADJ' || t.pos === 'ADV' || t.pos === 'PRON') &&
    QUANTIFIERS.has(t.lower) &&
    next &&
    (next.pos === 'NOUN' || next.pos === 'PROPN' || next.pos === 'ADJ' || next.pos === 'NUM')
  ) {
    set(t, 'DET');
    return true;
  }
  return false;
}

function localRule(tokens: Token[], i: number, n: number): void {
  {
    const t = tokens[i];
    // every rule below asks for one of these tags, except the one for "while"
    const p = t.pos;
    if (
      p !== 'NOUN' &&
      p !== 'VERB' &&
      p !== 'ADJ' &&
      p !== 'ADV' &&
      p !== 'PRON' &&
      p !== 'AUX' &&
      t.lower !== 'while'
    )
      return;
    const prev = i > 0 && tokens[i - 1].sent === t.sent ? tokens[i - 1] : undefined;
    const next = i + 1 < n && tokens[i + 1].sent === t.sent ? tokens[i + 1] : undefined;
    const prev2 = i > 1 && tokens[i - 2].sent === t.sent ? tokens[i - 2] : undefined;
    // "past" before a noun phrase is the preposition ("drives past a tower").
    if (
      t.lower === 'past' &&
      t.pos === 'ADJ' &&
      next &&
      (next.pos === 'DET' || next.pos === 'PROPN' || (next.pos === 'PRON' && POSSESSIVE.has(next.lower)))
    ) {
      set(t, 'ADP');
      return;
    }
    // 9. "while" before a clause is a subordinator, not the noun.
    if (
      t.lower === 'while' &&
      next &&
      (next.pos === 'DET' || next.pos === 'PRON' || next.pos === 'NOUN' || next.pos === 'PROPN')
    ) {
      set(t, 'SCONJ');
      return;
    }
    // each rule below asks for one tag, and they are tried in the same order within a tag
    switch (p) {
      case 'NOUN':
        // 10. Colour words before a noun or ending a predicate are adjectives ("turquoise water", "is orange").
        // the neighbours first: most nouns follow a determiner and end their phrase, and then no set lookup
        if (
          t.pos === 'NOUN' &&
          (prev?.pos !== 'DET' || (next && (next.pos === 'NOUN' || next.pos === 'PROPN' || next.pos === 'ADJ'))) &&
          (!next ||
            next.pos === 'NOUN' ||
            next.pos === 'PROPN' ||
            next.pos === 'ADJ' ||
            next.pos === 'PUNCT' ||
            next.pos === 'CCONJ') &&
          COLOURS.has(t.lower)
        ) {
          set(t, 'ADJ');
          return;
        }
        // 13. An -ing noun after "be" is the progressive verb ("is tasting a slice").
        if (
          t.pos === 'NOUN' &&
          prev &&
          prev.pos === 'AUX' &&
          t.lower.endsWith('ing') &&
          !ING_NOUNS.has(t.lower) &&
          BE.has(prev.lower)
        ) {
          set(t, 'VERB');
          return;
        }
        // 16. After "and" inside a predicate ("is quiet and dim"), a noun ending the sentence is an adjective.
        if (
          t.pos === 'NOUN' &&
          prev &&
          prev.pos === 'CCONJ' &&
          prev2 &&
          prev2.pos === 'ADJ' &&
          (!next || next.pos === 'PUNCT') &&
          !t.lower.endsWith('s')
        ) {
          let k = i - 3;
          while (k >= 0 && tokens[k].sent === t.sent && (tokens[k].pos === 'ADV' || tokens[k].pos === 'ADJ')) k--;
          if (k >= 0 && (tokens[k].pos === 'AUX' || LINKING.has(tokens[k].lower))) {
            set(t, 'ADJ');
            return;
          }
        }
        // 3. A participle tagged NOUN right after a noun and before a preposition, determiner, adverb or
        //    the end is a reduced relative clause verb ("a man standing in a kitchen").
        if (
          t.pos === 'NOUN' &&
          participleLike(t.lower) &&
          prev &&
          (prev.pos === 'NOUN' || prev.pos === 'PROPN' || prev.pos === 'PRON') &&
          (!next ||
            next.pos === 'ADP' ||
            next.pos === 'DET' ||
            next.pos === 'ADV' ||
            next.pos === 'PUNCT' ||
            next.pos === 'PRON' ||
            next.pos === 'CCONJ')
        ) {
          set(t, 'VERB');
          return;
        }
        // 7. A noun between a noun (or pronoun) and a determiner is the verb of that clause ("the photo
        //    captures the tower", "trees line the edge").
        if (
          t.pos === 'NOUN' &&
          prev &&
          next &&
          (prev.pos === 'NOUN' || prev.pos === 'PROPN' || (prev.pos === 'PRON' && !POSSESSIVE.has(prev.lower))) &&
          (next.pos === 'DET' || (next.pos === 'PRON' && POSSESSIVE.has(next.lower)))
        ) {
          set(t, 'VERB');
          return;
        }
        return;
      case 'VERB':
        // 11. A verb inside a noun phrase is a noun: after a determiner ("along the Seine"), after a
        //     determiner and an adjective ("a fast pitch"), after a determiner and a singular noun when it
        //     is a bare form that cannot agree ("a bus stop", "a kitchen counter"), or a known -ing noun.
        if (
          t.pos === 'VERB' &&
          !(next && (next.pos === 'NOUN' || next.pos === 'PROPN' || next.pos === 'ADJ' || next.pos === 'DET'))
        ) {
          const bare =
            !(t.lower.endsWith('s') || t.lower.endsWith('ed') || t.lower.endsWith('ing')) &&
            !IRREGULAR_PAST.has(t.lower);
          if (
            detLike(prev) ||
            (prev && (prev.pos === 'ADJ' || (prev.pos === 'ADV' && !prev.lower.endsWith('ly'))) && detLike(prev2)) ||
            (prev &&
              (prev.pos === 'NOUN' || prev.pos === 'PROPN') &&
              singular(prev.lower) &&
              prev2 &&
              (prev2.pos === 'DET' || prev2.pos === 'ADJ' || prev2.pos === 'PROPN') &&
              (bare || ING_NOUNS.has(t.lower))) ||
            (ING_NOUNS.has(t.lower) && prev && (prev.pos === 'ADJ' || prev.pos === 'NOUN' || detLike(prev))) ||
            (prev && prev.pos === 'NOUN' && prev2 && prev2.pos === 'ADP' && (!next || next.pos === 'PUNCT'))
          ) {
            set(t, capitalised(t.text) && t.i > 0 ? 'PROPN' : 'NOUN');
            return;
          }
        }
        // 12. A plural-looking verb right after another verb is its object ("eating leaves").
        if (t.pos === 'VERB' && prev && prev.pos === 'VERB' && pluralLike(t.lower) && !(next && next.pos === 'DET')) {
          set(t, 'NOUN');
          return;
        }
        // 14. A participle after a linking verb is a predicate adjective ("looks focused").
        if (t.pos === 'VERB' && t.lower.endsWith('ed') && prev && LINKING.has(prev.lower)) {
          set(t, 'ADJ');
          return;
        }
        // 4. A participle between a determiner / adjective / hyphen and a noun modifies that noun
        //    ("a light-colored floor", "the parked car").
        if (
          t.pos === 'VERB' &&
          participleLike(t.lower) &&
          prev &&
          next &&
          (next.pos === 'NOUN' || next.pos === 'PROPN') &&
          (prev.pos === 'DET' ||
            prev.pos === 'ADJ' ||
            prev.pos === 'NUM' ||
            prev.pos === 'ADP' ||
            (prev.text === '-' && prev.end === t.start))
        ) {
          set(t, 'ADJ');
          return;
        }
        // 8. A verb right after a determiner, not before a noun or adjective, is a noun ("along the Seine").
        if (
          t.pos === 'VERB' &&
          prev &&
          prev.pos === 'DET' &&
          !(next && (next.pos === 'NOUN' || next.pos === 'PROPN' || next.pos === 'ADJ'))
        ) {
          set(t, capitalised(t.text) ? 'PROPN' : 'NOUN');
          return;
        }
        return;
      case 'ADJ':
        // 15. A noun phrase needs a noun: an adjective that ends a run after a determiner or a
        //     preposition is that noun ("at a red light", "let in bright natural light", "the light is").
        if (t.pos === 'ADJ' && (!next || ADJ_FOLLOWERS.has(next.pos))) {
          let k = i - 1;
          while (
            k >= 0 &&
            tokens[k].sent === t.sent &&
            (tokens[k].pos === 'ADJ' || tokens[k].pos === 'NUM' || tokens[k].pos === 'ADV')
          )
            k--;
          const before = k >= 0 && tokens[k].sent === t.sent ? tokens[k] : undefined;
          if (
            before &&
            (detLike(before) || (before.pos === 'ADP' && k < i - 1)) &&
            !QUANTIFIERS.has(t.lower) &&
            !(next && next.pos === 'ADP' && next.lower === 'of' && (t.lower.endsWith('er') || t.lower.endsWith('est')))
          ) {
            set(t, 'NOUN');
            return;
          }
        }
        if (quantifierRule(t, next)) return;
        return;
      case 'ADV':
        if (quantifierRule(t, next)) return;
        // 6. A non-degree adverb before an adjective or noun, after a determiner / adjective / numeral,
        //    is an adjective ("a small blue monster", "light beige").
        if (
          t.pos === 'ADV' &&
          next &&
          (next.pos === 'ADJ' || next.pos === 'NOUN') &&
          !t.lower.endsWith('ly') &&
          !INTENSIFIERS.has(t.lower) &&
          lowerLetters(t.lower) &&
          (!prev ||
            prev.pos === 'DET' ||
            prev.pos === 'ADJ' ||
            prev.pos === 'NUM' ||
            prev.pos === 'AUX' ||
            prev.pos === 'VERB' ||
            prev.pos === 'ADP' ||
            prev.pos === 'CCONJ' ||
            prev.pos === 'PUNCT')
        ) {
          set(t, 'ADJ');
          return;
        }
        return;
      case 'PRON':
        if (quantifierRule(t, next)) return;
        return;
      case 'AUX':
        // 5. "have" / "do" tagged AUX with no verb after it is the main verb ("the window has a view").
        if (
          t.pos === 'AUX' &&
          (t.lower === 'has' ||
            t.lower === 'have' ||
            t.lower === 'had' ||
            t.lower === 'having' ||
            t.lower === 'does' ||
            t.lower === 'do' ||
            t.lower === 'did')
        ) {
          let j = i + 1;
          while (j < n && tokens[j].sent === t.sent && (tokens[j].pos === 'ADV' || tokens[j].pos === 'PART')) j++;
          const after = j < n && tokens[j].sent === t.sent ? tokens[j] : undefined;
          if (!after || !(after.pos === 'VERB' || after.pos === 'AUX')) set(t, 'VERB');
          // "has broken windows": a participle straight before a noun is an adjective, "has" the verb
          else if (
            after.pos === 'VERB' &&
            (after.lower.endsWith('ed') || after.lower.endsWith('en')) &&
            j + 1 < n &&
            (tokens[j + 1].pos === 'NOUN' || tokens[j + 1].pos === 'ADJ')
          ) {
            set(t, 'VERB');
            set(after, 'ADJ');
          }
          return;
        }
        return;
    }
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
function sentenceRules(tokens: Token[]): void {
  const n = tokens.length;
  let sawVerb = false;
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (i > 0 && tokens[i - 1].sent !== t.sent) sawVerb = false;
    if (t.pos === 'VERB' || t.pos === 'AUX') {
      sawVerb = true;
      continue;
    }
    if (t.pos !== 'NOUN') continue;
    const prev = i > 0 && tokens[i - 1].sent === t.sent ? tokens[i - 1] : undefined;
    const next = i + 1 < n && tokens[i + 1].sent === t.sent ? tokens[i + 1] : undefined;
    const next2 = i + 2 < n && tokens[i + 2].sent === t.sent ? tokens[i + 2] : undefined;
    const objectNext =
      !!next &&
      (next.pos === 'ADP' ||
        next.pos === 'DET' ||
        next.pos === 'ADV' ||
        (next.pos === 'PRON' && POSSESSIVE.has(next.lower)) ||
        (next.pos === 'ADJ' && !!next2 && next2.pos === 'DET')); // "drives past a tower": "past" read as ADJ
    if (!sawVerb && prev && (prev.pos === 'NOUN' || prev.pos === 'PROPN') && objectNext) {
      const plural = !singular(prev.lower);
      const agrees = plural ? !t.lower.endsWith('s') : pluralLike(t.lower);
      let k = i - 2;
      while (
        k >= 0 &&
        tokens[k].sent === t.sent &&
        (tokens[k].pos === 'DET' || tokens[k].pos === 'ADJ' || tokens[k].pos === 'NUM' || tokens[k].pos === 'NOUN')
      )
        k--;
      const inPP = k >= 0 && tokens[k].sent === t.sent && tokens[k].pos === 'ADP';
      if (agrees && !inPP && !t.lower.endsWith('ing')) {
        set(t, 'VERB');
        sawVerb = true;
        continue;
      }
    }
    if (
      prev &&
      prev.pos === 'CCONJ' &&
      next &&
      (next.pos === 'DET' ||
        next.pos === 'ADJ' ||
        next.pos === 'NUM' ||
        (next.pos === 'PRON' && POSSESSIVE.has(next.lower)))
    ) {
      for (let k = i - 2; k >= 0 && tokens[k].sent === t.sent; k--) {
        if (tokens[k].pos === 'VERB') {
          if (form(tokens[k].lower) === form(t.lower)) set(t, 'VERB');
          break;
        }
      }
    }
  }
}

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { captionsOf } from '../../demo/world/captions.ts';
import { sampleScene } from '../../demo/world/scene.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { scenesFromTruth } from '../../demo/world/truth.ts';
import { COLOUR_NAMES, NUMBER_WORDS, plural, SIZES } from '../../demo/world/vocab.ts';
import { smallWorld } from './helpers.ts';

type Obj = { object_id: string; category: string; colour: string; size: string };
type Word = { word_id: string; text: string };

/** Checks that a phrase's own words say what its referents are; returns a reason or null. */
function phraseMismatch(phrase: string, refs: string[], objects: Obj[], words: Word[]): string | null {
  const tokens = phrase
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const objs = refs.map((r) => objects.find((o) => o.object_id === r));
  const wds = refs.map((r) => words.find((w) => w.word_id === r));
  if (refs.length === 0) return 'no referents';
  if (wds.every(Boolean)) return wds.every((w) => phrase.includes(`"${w!.text}"`)) ? null : 'word text missing';
  if (!objs.every(Boolean)) return `unknown referent in ${refs}`;
  for (const o of objs)
    if (!tokens.includes(o!.category) && !tokens.includes(plural(o!.category as never)))
      return `category ${o!.category} not named`;
  for (const t of tokens) {
    if ((COLOUR_NAMES as string[]).includes(t) && !objs.every((o) => o!.colour === t))
      return `colour ${t} is not every referent's`;
    if ((SIZES as readonly string[]).includes(t) && !objs.every((o) => o!.size === t))
      return `size ${t} is not every referent's`;
  }
  const n = NUMBER_WORDS.indexOf(tokens[0]);
  if (n >= 1 && n !== refs.length) return `says ${n} but refers to ${refs.length}`;
  if ((tokens[0] === 'a' || tokens[0] === 'an' || tokens[0] === 'the') && refs.length !== 1)
    return `singular phrase with ${refs.length} referents`;
  return null;
}

test('every phrase span in every caption is the text of that phrase and names its referents', () => {
  let phrases = 0;
  for (let i = 0; i < 200; i++) {
    const scene = sampleScene(21, i);
    for (const c of captionsOf(scene)) {
      let last = 0;
      for (const p of c.phrases) {
        assert.equal(c.text.slice(p.start, p.end), p.phrase, `${scene.image_id} ${c.granularity}`);
        assert.ok(p.start >= last, 'phrases in order, not overlapping');
        last = p.end;
        const why = phraseMismatch(p.phrase, p.refs, scene.objects, scene.words);
        assert.equal(why, null, `${scene.image_id} ${c.granularity} "${p.phrase}": ${why}\n${c.text}`);
        phrases++;
      }
      assert.ok(c.phrases.length > 0, 'every caption grounds something');
    }
  }
  assert.ok(phrases > 2000);
});

test('captions differ by granularity: brief is one sentence, the others several with relations and words', () => {
  const scenes = Array.from({ length: 120 }, (_, i) => sampleScene(4, i));
  for (const s of scenes) {
    const [brief, detailed, more] = captionsOf(s);
    assert.equal(brief.text.split('. ').length, 1, brief.text);
    assert.ok(detailed.text.length > brief.text.length && more.text.length > detailed.text.length);
    for (const w of s.words) assert.ok(detailed.text.includes(`"${w.text}"`) && more.text.includes(`"${w.text}"`));
    // the more detailed text says what the detailed one opens with, then more
    assert.ok(more.text.startsWith(detailed.text.split(/(?<=\.) /)[0]), more.text);
  }
  const all = scenes.map((s) => captionsOf(s)[2].text).join(' ');
  for (const action of ['overlaps', 'points to', 'is stacked on', 'partly hidden behind', 'corner, the', 'edge, the'])
    assert.ok(all.includes(action), action);
});

test('the more detailed text places every shape, names what hides a partly hidden one, and sizes the shapes of a relation', () => {
  let hidden = 0;
  for (let i = 0; i < 120; i++) {
    const s = sampleScene(4, i);
    const more = captionsOf(s)[2];
    for (const o of s.objects) {
      const own = more.phrases.filter(
        (p) => p.refs.length === 1 && p.refs[0] === o.object_id && /^An? /.test(p.phrase),
      );
      assert.equal(own.length, 1, `${s.image_id} ${o.object_id}: one sentence of its own\n${more.text}`);
      const rest = more.text.slice(own[0].end, more.text.indexOf('.', own[0].end));
      assert.match(
        rest,
        /^ is (in the (top|bottom) (left|right) corner|near the (top|bottom|left|right) edge|in the centre of the image)/,
        more.text,
      );
      if (o.occluded >= 0.15 && / behind /.test(rest)) {
        hidden++;
        const front = more.phrases.find((p) => p.start > own[0].end && p.start < own[0].end + rest.length);
        const by = s.objects.find((x) => x.object_id === front?.refs[0]);
        assert.ok(by && by.z > o.z, `${s.image_id}: ${o.object_id} is hidden behind a shape drawn over it`);
      }
    }
    // a shape that its colour and category do not single out keeps its place in the row instead
    for (const r of s.relations.slice(0, 6)) {
      const subj = s.objects.find((x) => x.object_id === r.subject)!;
      const sized = more.phrases.some(
        (p) =>
          p.refs[0] === subj.object_id &&
          (p.phrase.includes(subj.size) || /leftmost|rightmost|from the left/.test(p.phrase)) &&
          more.text.slice(p.end).startsWith(` ${r.predicate} `),
      );
      assert.ok(sized, `${s.image_id}: "${r.predicate}" with the subject's size\n${more.text}`);
    }
  }
  assert.ok(hidden > 5, `partly hidden shapes named with their occluder: ${hidden}`);
});

test('phrase spans stored in the truth Parquet map to the same words', async () => {
  const dir = await smallWorld(25, 8);
  try {
    const t = await readTruth(dir);
    const scenes = new Map(scenesFromTruth(t).map((s) => [s.image_id, s]));
    const texts = new Map(t.captions.map((c) => [c.text_id, c.text]));
    assert.ok(t.phrases.length > 100);
    for (const p of t.phrases) {
      assert.equal(texts.get(p.text_id)!.slice(p.span[0], p.span[1]), p.phrase);
      const s = scenes.get(p.image_id)!;
      assert.equal(phraseMismatch(p.phrase, p.refs, s.objects, s.words), null, p.phrase);
    }
    // The captions written from the truth read back are the captions stored.
    for (const s of scenes.values())
      for (const c of captionsOf(s)) assert.equal(c.text, texts.get(`${s.image_id}-${c.granularity}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

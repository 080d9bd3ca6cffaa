import type { Granularity } from '../../schemas/records.ts';
import type { Caption, Phrase, SceneTruth } from './truth.ts';

export type { Caption, Phrase } from './truth.ts';
import { NUMBER_WORDS, plural } from './vocab.ts';

/**
 * Captions at three granularities, written from a scene, with every noun phrase that names objects
 * or words recorded as a character span [start, end) and the ids it refers to. Captions written from
 * a perturbed scene are the noisy captions (noisy.ts), so the writer is the same for truth and noise.
 */

class Writer {
  text = '';
  phrases: Phrase[] = [];
  private sentenceStart = true;

  say(s: string): this {
    if (s.length === 0) return this;
    this.text += this.sentenceStart ? cap(s) : s;
    this.sentenceStart = false;
    return this;
  }

  ref(s: string, refs: string[]): this {
    const start = this.text.length;
    this.say(s);
    this.phrases.push({ start, end: this.text.length, phrase: this.text.slice(start, this.text.length), refs });
    return this;
  }

  end(): this {
    this.text += '. ';
    this.sentenceStart = true;
    return this;
  }

  done(granularity: Granularity): Caption {
    return { granularity, text: this.text.trimEnd(), phrases: this.phrases };
  }
}

type Scene = SceneTruth;
type WorldObject = SceneTruth['objects'][number];
type WorldWord = SceneTruth['words'][number];
type Relation = SceneTruth['relations'][number];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
const num = (n: number) => NUMBER_WORDS[n] ?? String(n);
const area = (o: WorldObject) => (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]);

/** "a large red circle", "two red circles", "three circles": the description of a group of same-category objects. */
function groupPhrase(objs: WorldObject[], withSize: boolean): string {
  const o = objs[0];
  const sameColour = objs.every((x) => x.colour === o.colour);
  const sameSize = objs.every((x) => x.size === o.size);
  const size = withSize && sameSize ? `${o.size} ` : '';
  if (objs.length === 1) {
    const words = `${size}${o.colour} ${o.category}`;
    return `${article(words)} ${words}`;
  }
  return `${num(objs.length)} ${size}${sameColour ? `${o.colour} ` : ''}${plural(o.category)}`;
}

/** Groups objects by a key, most salient (largest) group first, ties by drawing order. */
function groups(objs: WorldObject[], key: (o: WorldObject) => string): WorldObject[][] {
  const m = new Map<string, WorldObject[]>();
  for (const o of objs) m.set(key(o), [...(m.get(key(o)) ?? []), o]);
  const score = (g: WorldObject[]) => Math.max(...g.map(area));
  return [...m.values()].sort((a, b) => score(b) - score(a) || a[0].z - b[0].z);
}

function list(w: Writer, items: { text: string; refs: string[] }[]): void {
  items.forEach((it, i) => {
    if (i > 0) w.say(i === items.length - 1 ? ' and ' : ', ');
    w.ref(it.text, it.refs);
  });
}

/**
 * The shortest expression that singles an object out: "the red circle", "the small red circle", "the
 * leftmost red circle"; `withSize` gives the size where colour and category suffice ("the small red circle").
 */
export function referTo(o: WorldObject, scene: Scene, withSize = false): string {
  const same = scene.objects.filter((x) => x.category === o.category && x.colour === o.colour);
  if (same.length === 1) return withSize ? `the ${o.size} ${o.colour} ${o.category}` : `the ${o.colour} ${o.category}`;
  const sized = same.filter((x) => x.size === o.size);
  if (sized.length === 1) return `the ${o.size} ${o.colour} ${o.category}`;
  const byX = [...same].sort((a, b) => a.cx - b.cx);
  const rank = byX.indexOf(o);
  if (rank === 0) return `the leftmost ${o.colour} ${o.category}`;
  if (rank === byX.length - 1) return `the rightmost ${o.colour} ${o.category}`;
  return `the ${['', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh'][rank]} ${o.colour} ${o.category} from the left`;
}

/** Where a point lies in a 3x3 grid of the image: "in the top left corner", "near the top edge", "in the centre of the image". */
function placePhrase(x: number, y: number, scene: Scene): string {
  const col = x < scene.width / 3 ? 'left' : x > (2 * scene.width) / 3 ? 'right' : '';
  const row = y < scene.height / 3 ? 'top' : y > (2 * scene.height) / 3 ? 'bottom' : '';
  if (col && row) return `in the ${row} ${col} corner`;
  if (row || col) return `near the ${row || col} edge`;
  return 'in the centre of the image';
}

const PATTERN_WORD = {
  plain: 'plain',
  gradient: 'shaded',
  striped: 'striped',
  checkered: 'checkered',
  speckled: 'speckled',
} as const;

function backgroundPhrase(scene: Scene): string {
  return `on a ${PATTERN_WORD[scene.background.pattern]} ${scene.background.tone} background`;
}

function relationSentence(w: Writer, r: Relation, scene: Scene, where = false): void {
  const s = scene.objects.find((o) => o.object_id === r.subject);
  const o = scene.objects.find((x) => x.object_id === r.object);
  if (!s || !o) return;
  // the more detailed texts (where = true) say where the relation holds and give each shape's size
  if (where) w.say(`${placePhrase((s.cx + o.cx) / 2, (s.cy + o.cy) / 2, scene)}, `);
  w.ref(referTo(s, scene, where), [s.object_id])
    .say(` ${r.predicate} `)
    .ref(referTo(o, scene, where), [o.object_id])
    .end();
}

function wordSentence(w: Writer, word: WorldWord, scene: Scene, where: boolean): void {
  w.ref(`the word "${word.text}"`, [word.word_id]).say(` is written in ${word.colour}`);
  if (where) w.say(` ${placePhrase((word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2, scene)}`);
  w.end();
}

export function briefCaption(scene: Scene): Caption {
  const w = new Writer();
  if (scene.objects.length === 0)
    return w
      .say('an empty ' + PATTERN_WORD[scene.background.pattern] + ' background')
      .end()
      .done('brief');
  list(
    w,
    groups(scene.objects, (o) => o.category).map((g) => ({
      text: groupPhrase(g, false),
      refs: g.map((o) => o.object_id),
    })),
  );
  return w.end().done('brief');
}

/** "The image shows a large red circle, two small blue squares and ... on a plain white background." */
function shapesSentence(w: Writer, scene: Scene): void {
  w.say('the image shows ');
  if (scene.objects.length === 0) w.say('no shapes');
  else
    list(
      w,
      groups(scene.objects, (o) => `${o.colour} ${o.category}`).map((g) => ({
        text: groupPhrase(g, true),
        refs: g.map((o) => o.object_id),
      })),
    );
  w.say(` ${backgroundPhrase(scene)}`).end();
}

export function detailedCaption(scene: Scene): Caption {
  const w = new Writer();
  shapesSentence(w, scene);
  const n = scene.objects.length;
  if (n > 1) w.say(`there are ${num(n)} shapes in total`).end();
  for (const r of scene.relations.slice(0, 3)) relationSentence(w, r, scene);
  for (const word of scene.words) wordSentence(w, word, scene, false);
  return w.done('detailed');
}

/**
 * The more detailed text says all the detailed one does and more, as the paper's do (Table 3: more
 * objects, attributes and actions, and more connected ones): every shape and where it is, what hides
 * it, where each relation holds, and where each word is written.
 */
export function moreDetailedCaption(scene: Scene): Caption {
  const w = new Writer();
  shapesSentence(w, scene);
  // relations and words before the shape-by-shape places: a decoder with fewer positions than a long
  // text has bytes (the demo model: 512) learns the beginning, and these hold the text's actions
  for (const r of scene.relations.slice(0, 6)) relationSentence(w, r, scene, true);
  const free = scene.objects.length >= 2 ? spatialPair(scene) : null;
  if (free)
    w.ref(referTo(free[0], scene, true), [free[0].object_id])
      .say(` is ${free[1]} `)
      .ref(referTo(free[2], scene, true), [free[2].object_id])
      .end();
  for (const word of scene.words) wordSentence(w, word, scene, true);
  const reading = [...scene.objects].sort((a, b) => a.cy - b.cy || a.cx - b.cx);
  for (const o of reading) {
    const words = `${o.size} ${o.colour} ${o.category}`;
    w.ref(`${article(words)} ${words}`, [o.object_id]).say(` is ${placePhrase(o.cx, o.cy, scene)}`);
    if (o.occluded >= 0.15) {
      w.say(' and is partly hidden');
      const front = occluderOf(o, scene);
      if (front) w.say(' behind ').ref(referTo(front, scene, true), [front.object_id]);
    }
    w.end();
  }
  return w.done('more_detailed');
}

/** The shape drawn over the most of o's box; null when only words are drawn over it. */
function occluderOf(o: WorldObject, scene: Scene): WorldObject | null {
  let best: WorldObject | null = null;
  let most = 0;
  for (const x of scene.objects) {
    if (x.z <= o.z) continue;
    const w = Math.min(o.box[2], x.box[2]) - Math.max(o.box[0], x.box[0]);
    const h = Math.min(o.box[3], x.box[3]) - Math.max(o.box[1], x.box[1]);
    if (w > 0 && h > 0 && w * h > most) [best, most] = [x, w * h];
  }
  return best;
}

/** The first pair of objects with no stated relation, and where one is from the other. */
function spatialPair(scene: Scene): [WorldObject, string, WorldObject] | null {
  for (let i = 0; i < scene.objects.length; i++) {
    for (let j = i + 1; j < scene.objects.length; j++) {
      const a = scene.objects[i];
      const b = scene.objects[j];
      if (
        scene.relations.some(
          (r) => [r.subject, r.object].includes(a.object_id) && [r.subject, r.object].includes(b.object_id),
        )
      )
        continue;
      const dx = b.cx - a.cx;
      const dy = b.cy - a.cy;
      if (Math.abs(dx) >= Math.abs(dy)) return [a, dx > 0 ? 'to the left of' : 'to the right of', b];
      return [a, dy > 0 ? 'above' : 'below', b];
    }
  }
  return null;
}

export function captionsOf(scene: Scene): Caption[] {
  return [briefCaption(scene), detailedCaption(scene), moreDetailedCaption(scene)];
}

// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderScene } from '../../demo/world/render.ts';
import { makeWord, type Scene } from '../../demo/world/scene.ts';
import { BACKGROUND_TONES, CATEGORIES } from '../../demo/world/vocab.ts';
import { outlineBox, shapeOutline } from '../../demo/world/outlines.ts';

function sceneWithWord(text: string, size: number, angle: number, tx: number, ty: number): Scene {
  return {
    image_id: 't',
    index: 0,
    width: 256,
    height: 128,
    background: { tone: 'white', pattern: 'plain', period: 8, direction: 0 },
    clutter: [],
    objects: [],
    relations: [],
    words: [makeWord('t-w0', text, 'black', size, angle, tx, ty)],
  };
}

/** Pixel centres that differ from the plain white background. */
function inked(scene: Scene): [number, number][] {
  const c = renderScene(scene, 0);
  const bg = BACKGROUND_TONES.white;
  const out: [number, number][] = [];
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      const k = (y * c.width + x) * 3;
      if (c.data[k] !== bg[0] || c.data[k + 1] !== bg[1] || c.data[k + 2] !== bg[2]) out.push([x, y]);
    }
  }
  return out;
}

test('a rendered word lies inside its quad, and the quad is tight on every side', () => {
  for (const [text, size] of [
    ['Florence', 24],
    ['B52 route 66', 17],
    ['hello', 31],
  ] as const) {
    const scene = sceneWithWord(text, size, 0, 20.3, 80.6);
    const q = scene.words[0].quad;
    // Clockwise from top-left: TL, TR, BR, BL.
    assert.ok(
      q[0] < q[2] && q[1] === q[3] && q[5] > q[3] && q[4] === q[2] && q[6] === q[0] && q[7] === q[5],
      `quad order ${q}`,
    );
    const px = inked(scene);
    assert.ok(px.length > 50, `${text}: drawn`);
    const [x0, y0, x1, y1] = [q[0], q[1], q[4], q[5]];
    // A pixel [x, x+1) is touched by ink only if it overlaps the quad.
    for (const [x, y] of px)
      assert.ok(x + 1 > x0 && x < x1 && y + 1 > y0 && y < y1, `${text}: pixel ${x},${y} outside quad ${q}`);
    // Tight: the inked pixels reach each side of the quad to within one pixel.
    const xs = px.map((p) => p[0]);
    const ys = px.map((p) => p[1]);
    assert.ok(Math.abs(Math.min(...xs) - Math.floor(x0)) <= 1, `${text}: left`);
    assert.ok(Math.abs(Math.max(...xs) + 1 - Math.ceil(x1)) <= 1, `${text}: right`);
    assert.ok(Math.abs(Math.min(...ys) - Math.floor(y0)) <= 1, `${text}: top`);
    assert.ok(Math.abs(Math.max(...ys) + 1 - Math.ceil(y1)) <= 1, `${text}: bottom`);
  }
});

test('a rotated word stays inside its turned quad', () => {
  const scene = sceneWithWord('STATION', 22, 0.25, 40, 50);
  const q = scene.words[0].quad;
  const px = inked(scene);
  assert.ok(px.length > 50);
  // Distance of a point from the inside of each clockwise edge (image y down): positive = inside.
  const side = (ax: number, ay: number, bx: number, by: number, x: number, y: number) =>
    ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / Math.hypot(bx - ax, by - ay);
  let deepest = [Infinity, Infinity, Infinity, Infinity];
  for (const [x, y] of px) {
    for (let e = 0; e < 4; e++) {
      const d = side(q[2 * e], q[2 * e + 1], q[(2 * e + 2) % 8], q[(2 * e + 3) % 8], x + 0.5, y + 0.5);
      // A pixel centre may sit up to half a diagonal outside when its corner is inked.
      assert.ok(d > -0.71, `pixel ${x},${y} is ${-d} px outside edge ${e}`);
      deepest[e] = Math.min(deepest[e], d);
    }
  }
  deepest = deepest.map((d) => Math.abs(d));
  assert.ok(
    deepest.every((d) => d <= 1.5),
    `each edge has ink within 1.5 px: ${deepest}`,
  );
});

test('every shape is drawn inside its box, and the box is tight', () => {
  for (const category of CATEGORIES) {
    const outline = shapeOutline(category, 101.3, 60.7, 37.2, category === 'arrow' ? 0.7 : 0.2);
    const box = outlineBox(outline);
    const scene: Scene = {
      image_id: 't',
      index: 0,
      width: 256,
      height: 128,
      background: { tone: 'white', pattern: 'plain', period: 8, direction: 0 },
      clutter: [],
      relations: [],
      words: [],
      objects: [
        {
          object_id: 't-o0',
          category,
          colour: 'blue',
          size: 'large',
          cx: 101.3,
          cy: 60.7,
          radius: 37.2,
          angle: 0,
          box,
          z: 0,
          occluded: 0,
          outline,
        },
      ],
    };
    const px = inked(scene);
    const xs = px.map((p) => p[0]);
    const ys = px.map((p) => p[1]);
    for (const [x, y] of px)
      assert.ok(
        x + 1 > box[0] && x < box[2] && y + 1 > box[1] && y < box[3],
        `${category}: pixel ${x},${y} outside ${box}`,
      );
    assert.ok(
      Math.abs(Math.min(...xs) - Math.floor(box[0])) <= 1 && Math.abs(Math.max(...xs) + 1 - Math.ceil(box[2])) <= 1,
      `${category}: x extent`,
    );
    assert.ok(
      Math.abs(Math.min(...ys) - Math.floor(box[1])) <= 1 && Math.abs(Math.max(...ys) + 1 - Math.ceil(box[3])) <= 1,
      `${category}: y extent`,
    );
  }
});

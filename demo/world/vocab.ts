/** The closed vocabulary of the demo world: what can be drawn, and the words used to say it. */

export const CATEGORIES = [
  'circle',
  'square',
  'triangle',
  'star',
  'hexagon',
  'pentagon',
  'diamond',
  'cross',
  'heart',
  'arrow',
] as const;
export type Category = (typeof CATEGORIES)[number];

const PLURAL: Record<Category, string> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  star: 'stars',
  hexagon: 'hexagons',
  pentagon: 'pentagons',
  diamond: 'diamonds',
  cross: 'crosses',
  heart: 'hearts',
  arrow: 'arrows',
};
export const plural = (c: Category): string => PLURAL[c];

/** Matches a category noun (singular or plural) in free text; longest words first is not needed (no prefixes collide). */
export function categoryOfWord(word: string): Category | null {
  const w = word.toLowerCase();
  for (const c of CATEGORIES) if (w === c || w === PLURAL[c]) return c;
  return null;
}

export const COLOURS = {
  red: [214, 39, 40],
  orange: [247, 129, 23],
  yellow: [236, 200, 20],
  green: [44, 160, 44],
  blue: [31, 89, 214],
  purple: [128, 52, 176],
  pink: [240, 110, 175],
  black: [24, 24, 24],
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];
export const isColour = (w: string): w is Colour => Object.hasOwn(COLOURS, w.toLowerCase());

export const SIZES = ['small', 'large'] as const;
export type Size = (typeof SIZES)[number];

/** Backgrounds are light so every object colour stays visible on them. */
export const BACKGROUND_TONES = {
  white: [248, 248, 246],
  grey: [206, 208, 210],
  cream: [243, 234, 208],
  'pale blue': [206, 224, 242],
  'pale green': [214, 236, 210],
  lavender: [228, 220, 242],
} as const satisfies Record<string, readonly [number, number, number]>;
export type BackgroundTone = keyof typeof BACKGROUND_TONES;
export const BACKGROUND_PATTERNS = ['plain', 'gradient', 'striped', 'checkered', 'speckled'] as const;
export type BackgroundPattern = (typeof BACKGROUND_PATTERNS)[number];

/** Words drawn in images for OCR: capitalised, lower case and digits, all in the font's ASCII range. */
export const WORDS = [
  'STOP',
  'OPEN',
  'SALE',
  'EXIT',
  'CAFE',
  'HOTEL',
  'PARK',
  'BANK',
  'TAXI',
  'MENU',
  'hello',
  'world',
  'river',
  'north',
  'south',
  'garden',
  'market',
  'station',
  'coffee',
  'bread',
  'Data',
  'Engine',
  'Florence',
  'Shape',
  'Vision',
  'Paris',
  'Lima',
  'Oslo',
  'Tokyo',
  'Delhi',
  '2024',
  '42',
  '7up',
  'A1',
  'B52',
  'route 66',
  'no entry',
  'big sale',
  'good day',
  'one way',
] as const;

export const WORD_COLOURS = {
  black: [16, 16, 16],
  navy: [20, 30, 110],
  'dark red': [130, 14, 20],
  'dark green': [14, 90, 30],
} as const satisfies Record<string, readonly [number, number, number]>;
export type WordColour = keyof typeof WORD_COLOURS;

export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

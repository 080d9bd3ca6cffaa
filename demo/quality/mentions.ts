import { categoryOfWord, isColour, type Category } from '../world/vocab.ts';

/**
 * What a caption names: the shape categories, and colour + category pairs ("red circle", "two small
 * red circles"). Quoted text is what is written in the image, not what is in it, so it is skipped.
 */
export interface Mentions {
  categories: Set<Category>;
  pairs: Set<string>;
}

export function mentionsOf(text: string): Mentions {
  const tokens = text
    .replace(/"[^"]*"/g, ' ')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
  const categories = new Set<Category>();
  const pairs = new Set<string>();
  tokens.forEach((t, i) => {
    const c = categoryOfWord(t);
    if (!c) return;
    categories.add(c);
    // The colour is the adjective right before the noun, or before a size word.
    const before = tokens[i - 1] === 'small' || tokens[i - 1] === 'large' ? tokens[i - 2] : tokens[i - 1];
    if (before && isColour(before)) pairs.add(`${before} ${c}`);
  });
  return { categories, pairs };
}

/** The category a region phrase names ("circle", "a large red circle"), or null. */
export function categoryOfPhrase(phrase: string): Category | null {
  let found: Category | null = null;
  for (const t of phrase.toLowerCase().split(/[^a-z]+/)) found = categoryOfWord(t) ?? found;
  return found;
}

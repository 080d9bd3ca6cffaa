import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RoundRef {
  collection: string;
  round: number;
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Every `<collection>/round-<R>/` folder under a local storage root, for the stats index page. */
export function listRounds(root: string): RoundRef[] {
  if (!isDir(root)) return [];
  const out: RoundRef[] = [];
  for (const collection of readdirSync(root).sort()) {
    const dir = join(root, collection);
    if (!isDir(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = /^round-(\d+)$/.exec(f);
      if (m && isDir(join(dir, f))) out.push({ collection, round: Number(m[1]) });
    }
  }
  return out.sort((a, b) => a.collection.localeCompare(b.collection) || a.round - b.round);
}

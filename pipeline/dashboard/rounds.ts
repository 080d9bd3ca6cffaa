import type { Storage } from '../storage/storage.ts';

export interface RoundRef {
  collection: string;
  round: number;
}

const ROUND_FOLDER = /^round-(\d+)\/$/;

/**
 * Every `<collection>/round-<R>/` folder in a storage, for the stats index page. Folder listings
 * only: a collection can hold millions of shard keys, and none of them is listed here.
 */
export async function listRounds(storage: Storage): Promise<RoundRef[]> {
  const out: RoundRef[] = [];
  for await (const folder of storage.listFolders('')) {
    const collection = folder.slice(0, -1);
    for await (const sub of storage.listFolders(`${folder}round-`)) {
      const m = ROUND_FOLDER.exec(sub.slice(folder.length));
      if (m) out.push({ collection, round: Number(m[1]) });
    }
  }
  return out.sort((a, b) => a.collection.localeCompare(b.collection) || a.round - b.round);
}

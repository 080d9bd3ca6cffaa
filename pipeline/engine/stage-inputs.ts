import type { CaptionInput, RegionInput } from '../../specialists/adapter.ts';
import type { RegionTextRecord, TextRecord } from '../../schemas/records.ts';
import { layout } from '../layout.ts';
import { readDoneMarker } from '../shards/round-files.ts';
import { readShard } from '../shards/storage-io.ts';
import { annotateStage, specialistDef, type SpecialistStageDef, type StageContext } from './stages.ts';

/** What a fed specialist gets with one image: the captions to ground or the boxes to describe. */
export interface PerImageInputs {
  captions?: CaptionInput[];
  regions?: RegionInput[];
}

export interface StageInputs {
  byImage: Map<string, PerImageInputs>;
  /** Prompts handed over in all (one per caption or box), recorded in the done marker. */
  count: number;
}

/**
 * The inputs of a specialist that reads another's output (docs/architecture.md, "The data path"): grounding gets the
 * captioner's captions, the region captioner the detector's boxes. Read from storage inside the stage
 * (jobs carry pointers only); the upstream stage must have its done marker. Null for a specialist that
 * reads no other output. An image with no upstream rows gets an empty list (no prompt, no row).
 */
export async function readStageInputs(def: SpecialistStageDef, ctx: StageContext): Promise<StageInputs | null> {
  if (!def.needs.length) return null;
  const { storage, collection: c, round: r, shard } = ctx;
  const byImage = new Map<string, PerImageInputs>();
  const slot = (id: string) => {
    let s = byImage.get(id);
    if (!s) byImage.set(id, (s = {}));
    return s;
  };
  let count = 0;
  for (const need of def.needs) {
    const up = specialistDef(need);
    const who = `${annotateStage(def.specialist)} shard ${shard}`;
    if (!(await readDoneMarker(storage, c, r, annotateStage(need), shard)))
      throw new Error(`${who}: ${annotateStage(need)} has no done marker; its output is incomplete`);
    const rows = (await readShard(storage, layout.raw(c, r, need, shard), up.produces)).rows;
    if (up.produces === 'text') {
      for (const t of rows as TextRecord[]) {
        if (!t.text.trim()) continue; // nothing to ground, no prompt
        (slot(t.image_id).captions ??= []).push({ text_id: t.text_id, granularity: t.granularity, text: t.text });
        count++;
      }
    } else if (up.produces === 'region_text') {
      for (const x of rows as RegionTextRecord[]) {
        (slot(x.image_id).regions ??= []).push({ region_id: x.region_id, box: x.box, phrase: x.phrase });
        count++;
      }
    } else {
      throw new Error(`${who}: cannot feed ${def.specialist} from ${need}'s ${up.produces} rows`);
    }
  }
  return { byImage, count };
}

import type { ErrorRecord, ImageRecord, RecordOf } from '../../schemas/records.ts';
import { sourceOf, type AdapterResult, type ImageInput, type SpecialistAdapter } from '../../specialists/adapter.ts';
import { declaredPixels } from '../../specialists/image/image-decode.ts';
import type { PreparingAdapter } from '../../specialists/annotate-stream.ts';
import { prefetchBatches } from '../../specialists/prefetch.ts';
import { layout } from '../layout.ts';
import { readShard, writeShard } from '../shards/storage-io.ts';
import { batchBudgetBytes, decodedBytes, groupByDecodedBytes } from './decode-budget.ts';
import { sizeMismatch } from './declared-size.ts';
import type { Services } from './services.ts';
import { readStageInputs } from './stage-inputs.ts';
import {
  annotateNode,
  markerFile,
  shardMarker,
  type SpecialistStageDef,
  type Stage,
  type StageContext,
  type StageWork,
} from './stages.ts';

const isPreparing = (a: SpecialistAdapter): a is PreparingAdapter<unknown> =>
  typeof (a as Partial<PreparingAdapter<unknown>>).prepare === 'function' &&
  typeof (a as Partial<PreparingAdapter<unknown>>).run === 'function';

/** Key of a specialist's per-image error rows beside its raw output. */
export const rawErrorsName = (specialist: string) => `${specialist}_errors`;

export async function readImageShard(ctx: StageContext): Promise<ImageRecord[]> {
  return (await readShard(ctx.storage, layout.images(ctx.collection, ctx.shard), 'image')).rows;
}

/**
 * `annotate:<specialist>`: the shard's images in mini-batches through the specialist's adapter, raw
 * rows to `round-R/raw/<specialist>/shard-N.parquet`, per-image errors beside them (the executor
 * writes the done marker after). An image that cannot be read or decoded is an error row; the shard
 * goes on.
 */
export function makeAnnotateStage(def: SpecialistStageDef, services: Services): Stage {
  const node = annotateNode(def);
  const { name } = node;
  return {
    ...node,
    marker: shardMarker(name),
    async work(ctx: StageContext): Promise<StageWork> {
      const { storage, collection: c, round: r, shard } = ctx;
      const ref = ctx.plan.specialists[def.specialist];
      if (!ref) throw new Error(`${name} shard ${shard}: the round plan names no model for ${def.specialist}`);
      const adapter = await services.adapters.get(def.specialist, ref, r, ctx.plan.refine?.tasks[def.specialist]);
      const images = await readImageShard(ctx);
      const byId = new Map(images.map((img) => [img.image_id, img]));
      const fed = await readStageInputs(def, ctx);
      const rows: RecordOf<typeof def.produces>[] = [];
      const errors: ErrorRecord[] = [];
      // Fetching and decoding batch i+1 overlaps inference of batch i (docs/architecture.md, "The data path") when the
      // adapter splits its decode step from its model step (PreparingAdapter).
      const split = isPreparing(adapter) ? adapter : null;
      const budget = batchBudgetBytes(services.decodeBudgetMB);
      const prepare = async (batch: ImageRecord[]) => {
        const inputs: ImageInput[] = [];
        const failed: ErrorRecord[] = [];
        // a fed specialist skips images its upstream gave nothing for (no box, no caption, or an image
        // the upstream already reported as an error): no prompt, so no fetch, decode or vision encoding
        const todo = fed ? batch.filter((img) => fed.byImage.has(img.image_id)) : batch;
        for (const [img, got] of await Promise.all(
          todo.map(async (img) => [img, await services.images.read(img.uri)] as const),
        )) {
          if ('error' in got)
            failed.push({ image_id: img.image_id, shard, stage: name, message: `image ${img.image_id}: ${got.error}` });
          else
            inputs.push({
              image_id: img.image_id,
              bytes: got.bytes,
              ...(fed ? { captions: [], regions: [], ...fed.byImage.get(img.image_id) } : {}),
            });
        }
        // the decode budget, judged on the headers before any pixel is decoded
        const sized = await Promise.all(inputs.map(async (item) => ({ item, size: await declaredPixels(item.bytes) })));
        const { groups, over } = groupByDecodedBytes(sized, budget);
        for (const o of over) {
          const mb = (decodedBytes(o.size) / 2 ** 20).toFixed(0);
          failed.push({
            image_id: o.item.image_id,
            shard,
            stage: `${name}:decode`,
            message: `image ${o.item.image_id}: ${o.size!.width}x${o.size!.height} decodes to ${mb} MB, over the ${(budget / 2 ** 20).toFixed(0)} MB a batch may hold (config decodeBudgetMB ${services.decodeBudgetMB}, half of it per batch)`,
          });
        }
        // one group: decoded here, ahead of the model; several: decoded one after another when run
        const ahead = groups.length === 1 && split ? await split.prepare(groups[0]) : null;
        return { n: batch.length, groups, failed, prepared: ahead };
      };
      let inferMs = 0;
      let done = 0;
      const collect = (res: AdapterResult) => {
        for (const kind of ['text', 'region_text', 'text_phrase_region'] as const) {
          if (kind !== def.produces && res[kind].length)
            throw new Error(
              `${name}: adapter ${sourceOf(adapter)} returned ${kind} rows; this stage stores ${def.produces} only`,
            );
        }
        for (const e of res.errors) errors.push({ image_id: e.image_id, shard, stage: e.stage, message: e.message });
        // the sizes the adapter decoded against the records' declared sizes (declared-size.ts)
        let wrongSize: Set<string> | null = null;
        for (const s of res.sizes) {
          const img = byId.get(s.image_id);
          const why = img ? sizeMismatch(img, s) : null;
          if (why === null) continue;
          (wrongSize ??= new Set()).add(s.image_id);
          errors.push({
            image_id: s.image_id,
            shard,
            stage: `${name}:size`,
            message: `image ${s.image_id} (${img!.uri}): ${why}`,
          });
        }
        const produced = res[def.produces] as RecordOf<typeof def.produces>[];
        if (wrongSize === null) rows.push(...produced);
        else for (const row of produced) if (!wrongSize.has(row.image_id)) rows.push(row);
      };
      for await (const b of prefetchBatches(images, ctx.plan.batchSize, prepare)) {
        errors.push(...b.failed);
        for (const group of b.groups) {
          const t = performance.now();
          const prepared = b.prepared ?? (split ? await split.prepare(group) : null);
          collect(split ? await split.run(prepared) : await adapter.annotate(group));
          inferMs += performance.now() - t;
        }
        done += b.n;
        await ctx.heartbeat(done, images.length);
      }
      const raw = await writeShard(storage, layout.raw(c, r, def.specialist, shard), def.produces, rows);
      const errs = await writeShard(storage, layout.raw(c, r, rawErrorsName(def.specialist), shard), 'errors', errors);
      const failed = new Set(errors.map((e) => e.image_id)).size;
      const counts: Record<string, number> = {
        [def.produces]: rows.length,
        errors: errors.length,
        images: images.length,
      };
      if (fed) counts.inputs = fed.count;
      return {
        counts,
        stats: {
          [sourceOf(adapter)]: {
            total: images.length,
            kept: images.length - failed,
            dropped: failed ? { error: failed } : {},
            ms: inferMs,
          },
        },
        files: [raw, errs].map(markerFile),
      };
    },
  };
}

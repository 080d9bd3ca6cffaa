import type { RoundKind } from '../schemas/records.ts';

/** Object keys of docs/architecture.md, "A round and its files", in one place. Shard ids are zero-padded to 5 digits. */
export const shardName = (shard: number): string => `shard-${String(shard).padStart(5, '0')}`;

export const layout = {
  images: (c: string, shard: number) => `${c}/images/${shardName(shard)}.parquet`,
  raw: (c: string, round: number, specialist: string, shard: number) =>
    `${c}/round-${round}/raw/${specialist}/${shardName(shard)}.parquet`,
  kind: (c: string, round: number, kind: RoundKind, shard: number) =>
    `${c}/round-${round}/${kind}/${shardName(shard)}.parquet`,
  done: (c: string, round: number, stage: string, shard: number) =>
    `${c}/round-${round}/_done/${stage.replaceAll(':', '_')}/${shardName(shard)}.json`,
  manifest: (c: string, round: number) => `${c}/round-${round}/_manifest.json`,
  /** What a round runs (schemas/round-plan.ts), written when it is first enqueued. */
  roundPlan: (c: string, round: number) => `${c}/round-${round}/_plan.json`,
  /** The collection's image shards and what its source skipped, written after the last image shard. */
  collectionPlan: (c: string) => `${c}/images/_collection.json`,
  imagesPrefix: (c: string) => `${c}/images/`,
  roundPrefix: (c: string, round: number) => `${c}/round-${round}/`,
  /** A verified collection's thresholds and gate decisions for the round (schemas/acceptance.ts), written by its merge before its rows. */
  acceptance: (c: string, round: number) => `${c}/round-${round}/_acceptance.json`,
  /** The training stage's done marker (pipeline/train/): model name, registry, fld-model.json sha256, metrics. */
  train: (c: string, round: number) => `${c}/round-${round}/_train.json`,
  /** The detector's training marker (`fld train --family detector`), the same fields as `train`'s. */
  trainDetector: (c: string, round: number) => `${c}/round-${round}/_train-detector.json`,
  exportPrefix: (c: string, round: number) => `${c}/export/round-${round}/`,
  exportShard: (c: string, round: number, split: string, n: number) =>
    `${c}/export/round-${round}/${split}-${String(n).padStart(5, '0')}.parquet`,
};

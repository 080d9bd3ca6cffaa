import type { FilterConfig } from '../filter-config.ts';
import { mergeTexts } from './texts.ts';
import { mergeRegions } from './regions.ts';
import { mergeGroundings } from './groundings.ts';
import {
  configuredThresholds,
  type MergeContext,
  type MergeInput,
  type MergeOutput,
  type Thresholds,
} from './merge-types.ts';

export * from './merge-types.ts';

/**
 * Merge of every source for one image into the three annotation kinds (paper section 4.2: "we merge
 * the pre-existing annotations with the synthetic labels"): specialists' raw outputs, plus the
 * image's alt-text, human texts and human boxes. Each output row names its `source` and all its
 * `sources`; everything dropped is reported with its rule. Deterministic: same input, same rows and ids.
 */
export function mergeImage(
  input: MergeInput,
  config: FilterConfig,
  thresholds: Thresholds = configuredThresholds(config),
): MergeOutput {
  const { image } = input;
  const ctx: MergeContext = {
    id: image.image_id,
    round: input.round,
    size: { width: image.width ?? Number.MAX_VALUE, height: image.height ?? Number.MAX_VALUE },
    config,
    thresholds,
    dropped: [],
  };
  const texts = mergeTexts(input, ctx);
  const regions = mergeRegions(input, ctx);
  const groundings = mergeGroundings(input, ctx, texts.kept);
  return {
    text: texts.rows,
    region_text: regions.rows,
    text_phrase_region: groundings.rows,
    dropped: ctx.dropped,
    stats: [texts.scoreStats, texts.stats, ...regions.stats, ...groundings.stats],
  };
}

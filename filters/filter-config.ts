import { z } from 'zod';
import { validate } from '../schemas/validate.ts';

/**
 * Every filter threshold, with its default. The paper publishes no numbers (section 4.2 names the
 * rules only), so the defaults are set against its Table 3 means (brief / detailed / more detailed:
 * 3.23 / 13.31 / 28.06 objects, object complexity 2.80 / 4.00 / 4.02, action complexity 1.14 / 3.63 /
 * 4.38 with 0.58 / 4.21 / 8.76 actions) and are documented in filters/README.md. Parse the user's
 * config once with `filterConfig(value)`; the resolved config is saved with the outputs.
 */

const nonNeg = z.number().min(0);

export const GranularityRules = z
  .object({
    /** Texts with fewer objects are dropped (a caption must name something). */
    minObjects: z.number().int().min(0),
    /** Texts with more objects are dropped: "excessive objects ... introduce noise" (section 4.2). */
    maxObjects: z.number().int().min(0),
    /** Mean degree of the objects in the parse tree must reach this. */
    minObjectComplexity: nonNeg,
    /** Mean degree of the actions must reach this (0 = texts without actions pass). */
    minActionComplexity: nonNeg,
  })
  .strict();
export type GranularityRules = z.infer<typeof GranularityRules>;

/** Per-granularity rules: a partial object overrides only the fields it names. */
const granularityRules = (defaults: GranularityRules) =>
  z.preprocess(
    (v) => (v === undefined ? defaults : v !== null && typeof v === 'object' ? { ...defaults, ...v } : v),
    GranularityRules,
  );

export const TextRulesConfig = z
  .object({
    /** Longer texts are rejected before parsing (UTF-16 code units). */
    maxChars: z.number().int().positive().default(20_000),
    brief: granularityRules({ minObjects: 1, maxObjects: 10, minObjectComplexity: 1.5, minActionComplexity: 0 }),
    detailed: granularityRules({ minObjects: 2, maxObjects: 40, minObjectComplexity: 2, minActionComplexity: 1 }),
    more_detailed: granularityRules({ minObjects: 3, maxObjects: 80, minObjectComplexity: 2, minActionComplexity: 1 }),
    /** DiHT CAT rules, off unless set (Radenovic et al. 2023; research/peers.md section 3). */
    diht: z
      .object({
        /** Keep if some token has at least this many children (DiHT "complexity"); null = off. */
        minMaxOutDegree: z.number().int().min(0).nullable().default(null),
        /** Keep if at least this many verbs have a nominal subject (DiHT "action"); null = off. */
        minActionsWithSubject: z.number().int().min(0).nullable().default(null),
        /**
         * Text-spotting: `only_ocr` drops a caption whose content words are all words read by OCR in its
         * image; `any_ocr` drops it if any OCR word of `minOcrWordLength`+ letters occurs in it (Fondant's
         * reading of DiHT); `off` keeps all.
         */
        textSpotting: z.enum(['off', 'only_ocr', 'any_ocr']).default('off'),
        minOcrWordLength: z.number().int().min(1).default(3),
      })
      .strict()
      .default({ minMaxOutDegree: null, minActionsWithSubject: null, textSpotting: 'off', minOcrWordLength: 3 }),
  })
  .strict();
export type TextRulesConfig = z.infer<typeof TextRulesConfig>;

export const DEFAULT_PHRASE_BLACKLIST = [
  // pronouns
  'it',
  'its',
  'they',
  'them',
  'their',
  'he',
  'him',
  'his',
  'she',
  'her',
  'we',
  'us',
  'you',
  'i',
  'me',
  'one',
  'ones',
  'this',
  'that',
  'these',
  'those',
  'something',
  'someone',
  'anything',
  'everything',
  'everyone',
  'nothing',
  'other',
  'others',
  'each',
  'both',
  'all',
  // the image itself and its parts
  'image',
  'picture',
  'photo',
  'photograph',
  'scene',
  'view',
  'frame',
  'shot',
  'illustration',
  'foreground',
  'background',
  'side',
  'left',
  'right',
  'top',
  'bottom',
  'middle',
  'center',
  'centre',
  'corner',
  'edge',
  'front',
  'back',
  'distance',
  'area',
  'part',
  'portion',
  // abstract concepts
  'atmosphere',
  'mood',
  'style',
  'color',
  'colour',
  'way',
  'variety',
  'number',
  'lot',
  'kind',
  'type',
  'sense',
  'feeling',
  'overall',
  'setting',
  'design',
  'pattern',
  'texture',
  'time',
  'day',
  'night',
  'moment',
  'beauty',
  'nature',
  'life',
  'scenery',
  'display',
  'group',
  'pair',
  'bunch',
  'set',
  'couple',
  'hint',
  'touch',
];

export const PhraseRulesConfig = z
  .object({
    /** Head nouns (lowercase, singular or as written) whose phrases are never grounded. */
    blacklist: z.array(z.string().min(1)).default(DEFAULT_PHRASE_BLACKLIST),
    /** Grounding phrase scores below this are dropped (Grounding DINO's text threshold is 0.25). */
    minConfidence: z.number().min(0).max(1).default(0.25),
    /** Phrases longer than this many words are dropped (a sentence is not a phrase). */
    maxWords: z.number().int().positive().default(8),
  })
  .strict();
export type PhraseRulesConfig = z.infer<typeof PhraseRulesConfig>;

export const BoxRulesConfig = z
  .object({
    /** Boxes outside the image: clip to it (and count) or drop. */
    outOfImage: z.enum(['clip', 'drop']).default('clip'),
    /** After clipping, boxes with a side under this many pixels are dropped. */
    minSide: nonNeg.default(1),
    /** Boxes scored below this are dropped (Grounding DINO's box threshold 0.35; detectors ~0.3). */
    scoreThreshold: z.number().min(0).max(1).default(0.3),
    /** NMS IoU threshold: a box overlapping a higher-scored kept box by more than this is suppressed. */
    nmsIou: z.number().min(0).max(1).default(0.5),
    /** NMS per category (class-aware) or over all boxes (class-agnostic). */
    classAware: z.boolean().default(true),
    /** Weighted box fusion: boxes of the same category overlapping by more than this are fused. */
    fusionIou: z.number().min(0).max(1).default(0.55),
  })
  .strict();
export type BoxRulesConfig = z.infer<typeof BoxRulesConfig>;

export const MergeConfig = z
  .object({
    /** Score given to pre-existing human boxes, which come without one. */
    humanBoxScore: z.number().min(0).max(1).default(1),
    /** How boxes of several sources for one image become one set: union then NMS, or fusion. */
    boxes: z.enum(['nms', 'fusion']).default('fusion'),
    /** Granularity given to alt-text. */
    altTextGranularity: z.enum(['brief', 'detailed', 'more_detailed']).default('brief'),
  })
  .strict();
export type MergeConfig = z.infer<typeof MergeConfig>;

export const FilterConfig = z
  .object({
    text: TextRulesConfig.default(TextRulesConfig.parse({})),
    phrases: PhraseRulesConfig.default(PhraseRulesConfig.parse({})),
    boxes: BoxRulesConfig.default(BoxRulesConfig.parse({})),
    merge: MergeConfig.default(MergeConfig.parse({})),
  })
  .strict();
export type FilterConfig = z.infer<typeof FilterConfig>;

/** Validates a (partial) filter config and fills the defaults; errors name the field and value. */
export function filterConfig(value: unknown = {}): FilterConfig {
  return validate(FilterConfig, value, 'filter config');
}

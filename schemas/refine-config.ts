import { z } from 'zod';

/**
 * Refinement rounds (`fld refine`, round R >= 1; docs/refinement.md): which Florence-2 tasks the
 * round's model runs, which round-0 specialists run again in its place, and how its predictions are
 * combined with round R-1's rows, per kind. Policies (docs/refinement.md):
 * - `replace`: round R-1's rows of the kind are dropped; only the new predictions (and the image's
 *   pre-existing annotations, which enter every round) go through the filters.
 * - `union`: both rounds' rows go through the filters together (texts: identical texts become one
 *   row listing both sources; groundings: a phrase the new round grounded on the same text stands
 *   for both).
 * - `union-nms` / `union-fusion`: both rounds' boxes, combined by NMS (higher score stands) or by
 *   weighted box fusion (agreeing boxes averaged, sources listed).
 * - `keep-if-agree`: every new prediction stays; a round R-1 item stays only if a new item agrees
 *   with it (same label -- category for boxes, phrase for groundings; OCR regions any text -- at
 *   IoU >= `agreeIou`); an agreeing pair then becomes one row naming both sources. An image for which
 *   the round wrote no item of the kind (task not run, or the model silent) keeps round R-1's items.
 */
export const TextPolicy = z.enum(['replace', 'union']);
export const BoxPolicy = z.enum(['replace', 'union-nms', 'union-fusion', 'keep-if-agree']);
export const GroundingPolicy = z.enum(['replace', 'union', 'keep-if-agree']);

export const RefinePolicy = z
  .object({
    /** Image-level texts. @default "replace" (the model's captions stand; human and alt-texts always enter) */
    text: TextPolicy.default('replace'),
    /** Object boxes (region_text kind `object`). @default "keep-if-agree" */
    region_text: BoxPolicy.default('keep-if-agree'),
    /** OCR regions (region_text kind `text`). @default "keep-if-agree" */
    ocr_region: BoxPolicy.default('keep-if-agree'),
    /** Phrase groundings. @default "union" */
    text_phrase_region: GroundingPolicy.default('union'),
  })
  .strict();
export type RefinePolicy = z.infer<typeof RefinePolicy>;

/** Tasks a refinement model may run, and the stage (specialist slot) each one fills. */
export const REFINE_TASK_SLOTS: Readonly<Record<string, string>> = {
  '<OD>': 'detector',
  '<REGION_TO_DESCRIPTION>': 'region_caption',
  '<OCR_WITH_REGION>': 'ocr',
  '<CAPTION>': 'captioner',
  '<DETAILED_CAPTION>': 'captioner',
  '<MORE_DETAILED_CAPTION>': 'captioner',
  '<CAPTION_TO_PHRASE_GROUNDING>': 'grounding',
};

export const DEFAULT_REFINE_TASKS = [
  '<CAPTION>',
  '<DETAILED_CAPTION>',
  '<OD>',
  '<REGION_TO_DESCRIPTION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<OCR_WITH_REGION>',
];

/** Specialists a refinement round can run retrained on round R-1's accepted labels (`refine.retrain`). */
export const RETRAINABLE_SPECIALISTS = ['detector'] as const;
export type RetrainableSpecialist = (typeof RETRAINABLE_SPECIALISTS)[number];

/**
 * Trainer command templates of the specialists' own trainings (`fld train --family <name>`), with the
 * placeholders of `trainCommand` (`{export}` `{out}` `{init}` `{steps}`; docs/training-stage.md).
 */
export const SpecialistTrainCommands = z
  .object({
    /** `fld train --family detector`; null: the reference trainer, `/usr/bin/python3 -m training.train --family detector ...`. @default null */
    detector: z.string().min(1).nullable().default(null),
  })
  .strict();
export type SpecialistTrainCommands = z.infer<typeof SpecialistTrainCommands>;

export const RefineConfig = z
  .object({
    /** Tasks the round's model runs, those its fld-model.json lists. @default the six of DEFAULT_REFINE_TASKS */
    tasks: z
      .array(
        z
          .string()
          .refine(
            (t) => t in REFINE_TASK_SLOTS,
            `unknown refine task (known: ${Object.keys(REFINE_TASK_SLOTS).join(' ')})`,
          ),
      )
      .min(1)
      .default(DEFAULT_REFINE_TASKS),
    /** Round-0 specialists (names in `specialists`) that run again in round R instead of the model's task for that slot, e.g. ["ocr"]. @default [] */
    specialists: z.array(z.string()).default([]),
    policy: RefinePolicy.default(RefinePolicy.parse({})),
    /** IoU at which a new item agrees with a round R-1 item (`keep-if-agree`). @default 0.5 */
    agreeIou: z.number().gt(0).max(1).default(0.5),
    /**
     * Specialists retrained on round R-1's accepted labels that run in their own slot in round R, instead
     * of the model's task for that slot (self-training, docs/refinement.md): only `detector` for now.
     * Round R's detector slot runs the registered `<C>-detector-round-<R-1>` (`fld train --family detector
     * --collection C --round R-1`, or the model `fld refine --detector` names), and the model's `<OD>` is
     * skipped. A name here cannot also be in `specialists`. @default []
     */
    retrain: z.array(z.enum(RETRAINABLE_SPECIALISTS)).default([]),
    /** Trainer commands of the retrained specialists (`fld train --family detector`). @default {detector: null} */
    trainCommands: SpecialistTrainCommands.default(SpecialistTrainCommands.parse({})),
  })
  .strict()
  .superRefine((r, ctx) => {
    r.retrain.forEach((name, i) => {
      if (r.specialists.includes(name))
        ctx.addIssue({
          code: 'custom',
          path: ['retrain', i],
          message: `"${name}" is in both refine.retrain and refine.specialists: its slot has one producer (the retrained model, or round 0's again)`,
        });
    });
  });
export type RefineConfig = z.infer<typeof RefineConfig>;

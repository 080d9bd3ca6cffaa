import { z } from 'zod';

/**
 * `fld-model.json`: what a model folder holds. One registry holds specialists pulled from the hub,
 * demo models and each round's trained model (docs/architecture.md, "The data path"). Nothing about a model is a
 * constant in code: class names, tasks and input size live here or in the family's own configs.
 */
export const MODEL_MANIFEST_FILE = 'fld-model.json';

/** `domain` of the demo world's specialists (`models/`): labels only meaningful on demo-world images. */
export const DEMO_WORLD_DOMAIN = 'demo-world';

export const ModelFamily = z.enum(['detector', 'ocr', 'florence2']);
export type ModelFamily = z.infer<typeof ModelFamily>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const ModelFile = z.object({
  /** Path relative to the model folder, forward slashes, no `..`. */
  path: z
    .string()
    .min(1)
    .refine(
      (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'),
      'must be a relative path inside the folder',
    ),
  sha256,
  size: z.number().int().min(0),
  /** What the file is for, where the family has several (`model`, `detection`, `recognition`, `dictionary`). */
  role: z.string().min(1).optional(),
});
export type ModelFile = z.infer<typeof ModelFile>;

export const ModelManifest = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
    family: ModelFamily,
    version: z.string().min(1),
    /** Detector class names, index = class id of the model output. */
    classes: z.array(z.string().min(1)).optional(),
    /** Florence-2 task tokens the model was trained for. */
    tasks: z.array(z.string().min(1)).optional(),
    /** Detector letterbox size (square), when the ONNX graph does not fix it. */
    input_size: z.number().int().positive().optional(),
    /** Where the files came from (catalogue name or URL), for provenance. */
    source: z.string().optional(),
    /** Lineage of a model the training stage registered: the collection and round whose annotations trained it. */
    trained_on: z
      .object({ collection: z.string().min(1), round: z.number().int().min(0) })
      .strict()
      .optional(),
    /** The model the training started from: a registered name, a folder path, or null (from scratch). With `trained_on`. */
    init: z.string().min(1).nullable().optional(),
    /**
     * The images the model's labels mean something on, when narrower than any photo: `demo-world` for the
     * demo world's specialists (`models/`), which `fld run` and `fld enqueue` warn about on any other collection.
     */
    domain: z.string().min(1).optional(),
    files: z.array(ModelFile).min(1),
  })
  .superRefine((m, ctx) => {
    if (m.family === 'detector' && !m.classes?.length)
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a detector needs its class names' });
    if (m.family === 'florence2' && !m.tasks?.length)
      ctx.addIssue({ code: 'custom', path: ['tasks'], message: 'a florence2 model needs its tasks' });
    const seen = new Set<string>();
    m.files.forEach((f, i) => {
      if (seen.has(f.path))
        ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `duplicate file ${f.path}` });
      seen.add(f.path);
    });
  });
export type ModelManifest = z.infer<typeof ModelManifest>;

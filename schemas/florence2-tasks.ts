/**
 * Florence-2 task tokens, their English prompts and post-processing types (docs/florence2-formats.md section 3).
 * A model's `preprocessor_config.json` may carry its own three maps; `taskTableFromConfig` reads them
 * and falls back to `DEFAULT_TASKS` for what it lacks.
 */

export const POST_PROCESSING_TYPES = [
  'pure_text',
  'description_with_bboxes',
  'bboxes',
  'phrase_grounding',
  'ocr',
  'polygons',
  'description_with_bboxes_or_polygons',
] as const;
export type PostProcessingType = (typeof POST_PROCESSING_TYPES)[number];

export interface TaskSpec {
  token: string;
  /** The English prompt; for tasks with input it holds `{input}`. */
  prompt: string;
  takesInput: boolean;
  postProcessing: PostProcessingType;
}

export type TaskTable = ReadonlyMap<string, TaskSpec>;

const spec = (token: string, prompt: string, postProcessing: PostProcessingType): TaskSpec => ({
  token,
  prompt,
  takesInput: prompt.includes('{input}'),
  postProcessing,
});

/** The strings MSP, HFN and TJS all carry. */
export const DEFAULT_TASKS: TaskTable = new Map(
  [
    spec('<OCR>', 'What is the text in the image?', 'pure_text'),
    spec('<OCR_WITH_REGION>', 'What is the text in the image, with regions?', 'ocr'),
    spec('<CAPTION>', 'What does the image describe?', 'pure_text'),
    spec('<DETAILED_CAPTION>', 'Describe in detail what is shown in the image.', 'pure_text'),
    spec('<MORE_DETAILED_CAPTION>', 'Describe with a paragraph what is shown in the image.', 'pure_text'),
    spec('<OD>', 'Locate the objects with category name in the image.', 'description_with_bboxes'),
    spec(
      '<DENSE_REGION_CAPTION>',
      'Locate the objects in the image, with their descriptions.',
      'description_with_bboxes',
    ),
    spec('<REGION_PROPOSAL>', 'Locate the region proposals in the image.', 'bboxes'),
    spec('<CAPTION_TO_PHRASE_GROUNDING>', 'Locate the phrases in the caption: {input}', 'phrase_grounding'),
    spec('<REFERRING_EXPRESSION_SEGMENTATION>', 'Locate {input} in the image with mask', 'polygons'),
    spec('<REGION_TO_SEGMENTATION>', 'What is the polygon mask of region {input}', 'polygons'),
    spec('<OPEN_VOCABULARY_DETECTION>', 'Locate {input} in the image.', 'description_with_bboxes_or_polygons'),
    spec('<REGION_TO_CATEGORY>', 'What is the region {input}?', 'pure_text'),
    spec('<REGION_TO_DESCRIPTION>', 'What does the region {input} describe?', 'pure_text'),
    spec('<REGION_TO_OCR>', 'What text is in the region {input}?', 'pure_text'),
  ].map((s) => [s.token, s]),
);

export class TaskError extends Error {
  override name = 'TaskError';
}

function stringMap(v: unknown, field: string): Map<string, string> {
  if (v === undefined || v === null) return new Map();
  if (typeof v !== 'object' || Array.isArray(v))
    throw new TaskError(`preprocessor config: field "${field}" must be an object (got ${JSON.stringify(v)})`);
  const out = new Map<string, string>();
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string')
      throw new TaskError(`preprocessor config: field "${field}.${k}" must be a string (got ${JSON.stringify(s)})`);
    out.set(k, s);
  }
  return out;
}

/**
 * The task table of a model from its parsed `preprocessor_config.json`: tasks named in any of the three
 * maps come from the config (missing parts from `fallback`); tasks the config does not name keep the
 * fallback's entry. A post-processing type we do not know is refused by name.
 */
export function taskTableFromConfig(config: Record<string, unknown>, fallback: TaskTable = DEFAULT_TASKS): TaskTable {
  const types = stringMap(config.tasks_answer_post_processing_type, 'tasks_answer_post_processing_type');
  const without = stringMap(config.task_prompts_without_inputs, 'task_prompts_without_inputs');
  const withInput = stringMap(config.task_prompts_with_input, 'task_prompts_with_input');
  const table = new Map(fallback);
  for (const token of new Set([...types.keys(), ...without.keys(), ...withInput.keys()])) {
    const base = fallback.get(token);
    const prompt = withInput.get(token) ?? without.get(token) ?? base?.prompt ?? token;
    const type = types.get(token) ?? base?.postProcessing ?? 'pure_text';
    if (!(POST_PROCESSING_TYPES as readonly string[]).includes(type)) {
      throw new TaskError(
        `preprocessor config: task ${token} has unknown post-processing type "${type}" (known: ${POST_PROCESSING_TYPES.join(', ')})`,
      );
    }
    table.set(token, {
      token,
      prompt,
      takesInput: withInput.has(token) || (!without.has(token) && !!base?.takesInput),
      postProcessing: type as PostProcessingType,
    });
  }
  return table;
}

/** The post-processing type of a task; unknown tasks are plain text, as in every reference. */
export function postProcessingOf(task: string, table: TaskTable = DEFAULT_TASKS): PostProcessingType {
  return table.get(task)?.postProcessing ?? 'pure_text';
}

/** The prefix of a training row or a generation request: the task token plus its input. */
export function buildPrefix(task: string, input = '', table: TaskTable = DEFAULT_TASKS): string {
  const s = table.get(task);
  if (!s) throw new TaskError(`unknown task ${JSON.stringify(task)} (known: ${[...table.keys()].join(' ')})`);
  if (s.takesInput && input.trim() === '')
    throw new TaskError(`task ${task} needs an input (got ${JSON.stringify(input)})`);
  if (!s.takesInput && input !== '') throw new TaskError(`task ${task} takes no input (got ${JSON.stringify(input)})`);
  return task + input;
}

/**
 * The English prompt the tokenizer sees for a prefix (MSP `_construct_prompts`): a task without input
 * must be the whole prefix, a task with input has `{input}` replaced by the rest, and a prefix that
 * starts with no known task (e.g. `<DocVQA>question`) is passed through unchanged. The input is not
 * stripped (MSP; HFN strips it).
 */
export function constructPrompt(prefix: string, table: TaskTable = DEFAULT_TASKS): string {
  for (const s of table.values()) {
    if (!prefix.startsWith(s.token)) continue;
    const input = prefix.slice(s.token.length);
    if (!s.takesInput) {
      if (input !== '') throw new TaskError(`prefix ${JSON.stringify(prefix)}: task ${s.token} takes no input`);
      return s.prompt;
    }
    return s.prompt.replaceAll('{input}', input);
  }
  return prefix;
}

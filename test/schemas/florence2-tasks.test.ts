// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TASKS,
  TaskError,
  buildPrefix,
  constructPrompt,
  postProcessingOf,
  taskTableFromConfig,
} from '../../schemas/florence2-tasks.ts';

test('the default table holds the 15 tasks of docs/florence2-formats.md section 3', () => {
  assert.equal(DEFAULT_TASKS.size, 15);
  assert.equal(DEFAULT_TASKS.get('<OD>')?.prompt, 'Locate the objects with category name in the image.');
  assert.equal(postProcessingOf('<OCR_WITH_REGION>'), 'ocr');
  assert.equal(postProcessingOf('<REGION_PROPOSAL>'), 'bboxes');
  assert.equal(postProcessingOf('<OPEN_VOCABULARY_DETECTION>'), 'description_with_bboxes_or_polygons');
  assert.equal(postProcessingOf('<DocVQA>'), 'pure_text');
  const withInput = [...DEFAULT_TASKS.values()]
    .filter((s) => s.takesInput)
    .map((s) => s.token)
    .sort();
  assert.deepEqual(withInput, [
    '<CAPTION_TO_PHRASE_GROUNDING>',
    '<OPEN_VOCABULARY_DETECTION>',
    '<REFERRING_EXPRESSION_SEGMENTATION>',
    '<REGION_TO_CATEGORY>',
    '<REGION_TO_DESCRIPTION>',
    '<REGION_TO_OCR>',
    '<REGION_TO_SEGMENTATION>',
  ]);
});

test('a preprocessor config overrides and adds tasks; what it lacks keeps the default', () => {
  const t = taskTableFromConfig({
    tasks_answer_post_processing_type: { '<EMOTION>': 'pure_text', '<OD>': 'description_with_bboxes' },
    task_prompts_with_input: { '<EMOTION>': 'What is the emotion of {input}?' },
    task_prompts_without_inputs: { '<OD>': 'Find objects.' },
  });
  assert.equal(t.get('<OD>')?.prompt, 'Find objects.');
  assert.equal(t.get('<OD>')?.takesInput, false);
  assert.deepEqual(t.get('<EMOTION>'), {
    token: '<EMOTION>',
    prompt: 'What is the emotion of {input}?',
    takesInput: true,
    postProcessing: 'pure_text',
  });
  assert.equal(t.get('<CAPTION>')?.prompt, 'What does the image describe?');
  assert.equal(constructPrompt('<EMOTION>the man', t), 'What is the emotion of the man?');
  assert.deepEqual(taskTableFromConfig({}), DEFAULT_TASKS);
});

test('a bad preprocessor config is refused naming the field', () => {
  assert.throws(
    () => taskTableFromConfig({ tasks_answer_post_processing_type: { '<X>': 'segments' } }),
    /<X>.*"segments"/,
  );
  assert.throws(() => taskTableFromConfig({ task_prompts_with_input: [] }), /task_prompts_with_input/);
  assert.throws(
    () => taskTableFromConfig({ task_prompts_without_inputs: { '<X>': 3 } }),
    /task_prompts_without_inputs\.<X>/,
  );
});

test('prefixes: task token plus input, checked against the table', () => {
  assert.equal(buildPrefix('<OD>'), '<OD>');
  assert.equal(buildPrefix('<CAPTION_TO_PHRASE_GROUNDING>', 'A cat.'), '<CAPTION_TO_PHRASE_GROUNDING>A cat.');
  assert.throws(() => buildPrefix('<OD>', 'cats'), TaskError);
  assert.throws(() => buildPrefix('<CAPTION_TO_PHRASE_GROUNDING>', ' '), /needs an input/);
  assert.throws(() => buildPrefix('<NOPE>'), /unknown task "<NOPE>"/);
});

test('prompts: MSP substitution, input not stripped, unknown prefixes passed through', () => {
  assert.equal(constructPrompt('<OD>'), 'Locate the objects with category name in the image.');
  assert.equal(constructPrompt('<CAPTION_TO_PHRASE_GROUNDING> A cat.'), 'Locate the phrases in the caption:  A cat.');
  assert.equal(
    constructPrompt('<REGION_TO_CATEGORY><loc_52><loc_332><loc_932><loc_774>'),
    'What is the region <loc_52><loc_332><loc_932><loc_774>?',
  );
  assert.equal(constructPrompt('<DocVQA>what?'), '<DocVQA>what?');
  assert.throws(() => constructPrompt('<OD>extra'), /takes no input/);
});

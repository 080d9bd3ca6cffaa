/**
 * transformers.js 4.3.1's Florence2Processor built offline, the reference for the differential test and
 * the parse benchmark: it only needs an image processor whose config carries the three task maps (as
 * the onnx-community preprocessor_config.json does), so no model files and no network. Not a test file.
 */
import { CLIPImageProcessor, Florence2Processor } from '@huggingface/transformers';
import { DEFAULT_TASKS } from '../../schemas/florence2-tasks.ts';

export function tjsFlorence2Processor(): Florence2Processor {
  const maps = {
    tasks_answer_post_processing_type: {} as Record<string, string>,
    task_prompts_without_inputs: {} as Record<string, string>,
    task_prompts_with_input: {} as Record<string, string>,
  };
  for (const s of DEFAULT_TASKS.values()) {
    maps.tasks_answer_post_processing_type[s.token] = s.postProcessing;
    (s.takesInput ? maps.task_prompts_with_input : maps.task_prompts_without_inputs)[s.token] = s.prompt;
  }
  // The onnx-community preprocessor_config.json values (docs/florence2-formats.md section 1) plus the task maps.
  const config = {
    do_resize: true,
    size: { height: 768, width: 768 },
    resample: 3,
    do_center_crop: false,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    ...maps,
  };
  return new Florence2Processor({}, { image_processor: new CLIPImageProcessor(config) }, null);
}

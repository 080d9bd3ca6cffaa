import { env, Florence2ForConditionalGeneration, AutoProcessor, AutoTokenizer, RawImage } from '@huggingface/transformers';
env.allowRemoteModels = false;
const dir = process.argv[2];
for (const dtype of ['fp32','fp16']) {
const model = await Florence2ForConditionalGeneration.from_pretrained(dir, { dtype });
const processor = await AutoProcessor.from_pretrained(dir);
const data = new Uint8ClampedArray(64*48*3).map((_, i) => (i * 37) % 256);
const image = new RawImage(data, 64, 48, 3);
for (const task of ['<CAPTION>', '<OD>', '<CAPTION_TO_PHRASE_GROUNDING>a red circle']) {
  const inputs = await processor(image, task);
  const ids = await model.generate({ ...inputs, max_new_tokens: 8 });
  const text = processor.batch_decode(ids, { skip_special_tokens: false })[0];
  const t = task.startsWith('<CAPTION_TO') ? '<CAPTION_TO_PHRASE_GROUNDING>' : task;
  console.log(dtype, task, ids.dims, JSON.stringify(text), JSON.stringify(processor.post_process_generation(text, t, image.size)));
}
}

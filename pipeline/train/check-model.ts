import { readFile } from 'node:fs/promises';
import type { ModelManifest } from '../../schemas/model-manifest.ts';
import { DetectorAdapter } from '../../specialists/detector/detector.ts';
import { decodeImage } from '../../specialists/image/image-decode.ts';
import { florence2Pixels } from '../../specialists/image/florence2-preprocess.ts';
import { Florence2Runner } from '../../specialists/florence2/runner.ts';
import { verifyFolder } from '../../specialists/registry/model-folder.ts';
import { TrainStageError } from './train-errors.ts';

/**
 * What the engine checks before it registers a trained model (docs/training-stage.md): the folder has
 * a valid `fld-model.json` whose files match (size, sha256), and the model loads and generates on one
 * image of the export: a florence2 model through the Florence2Runner (a short greedy generation of a
 * task it lists that takes no input), a detector through its adapter. Any failure is 'bad-model'.
 */
export interface ModelCheck {
  manifest: ModelManifest;
  /** What the model produced on the sample image (florence2: the decoded text; detector: box count). */
  sample: string;
}

/** Tasks that need nothing but the image, in the order we prefer for the check. */
const PLAIN_TASKS = [
  '<CAPTION>',
  '<OD>',
  '<DETAILED_CAPTION>',
  '<MORE_DETAILED_CAPTION>',
  '<DENSE_REGION_CAPTION>',
  '<OCR_WITH_REGION>',
  '<OCR>',
];
const CHECK_TOKENS = 24;

export async function checkModel(dir: string, imagePath: string): Promise<ModelCheck> {
  const bad = (what: string) => new TrainStageError('bad-model', `train: the trainer's model at ${dir} ${what}`);
  let manifest: ModelManifest;
  try {
    manifest = await verifyFolder(dir);
  } catch (e) {
    throw bad(`fails its manifest: ${(e as Error).message.split('\n')[0]}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(imagePath);
  } catch (e) {
    throw new TrainStageError(
      'bad-input',
      `train: cannot read the sample image ${imagePath} for the model check (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    if (manifest.family === 'florence2') return { manifest, sample: await generateOnce(dir, manifest, bytes) };
    if (manifest.family === 'detector') return { manifest, sample: await detectOnce(dir, bytes) };
  } catch (e) {
    if (e instanceof TrainStageError) throw e;
    throw bad(`does not load and generate: ${(e as Error).message.split('\n')[0]}`);
  }
  throw bad(`is of family ${manifest.family}, which the training stage does not check (florence2 or detector)`);
}

async function generateOnce(dir: string, m: ModelManifest, bytes: Uint8Array): Promise<string> {
  const task = PLAIN_TASKS.find((t) => m.tasks?.includes(t));
  if (!task)
    throw new TrainStageError(
      'bad-model',
      `train: the model at ${dir} lists no task that takes only an image (${m.tasks?.join(', ')}), so it cannot be checked`,
    );
  const runner = await Florence2Runner.load(dir, {
    threads: { intraOpNumThreads: 1, interOpNumThreads: 1, inference: 'inline' },
  });
  try {
    const pixels = await florence2Pixels(await decodeImage(bytes), runner.image);
    const features = await runner.encodeImages([pixels]);
    const [out] = await runner.generate(features, [{ image: 0, promptIds: runner.promptIds(task) }], {
      maxNewTokens: CHECK_TOKENS,
      numBeams: 1,
    });
    if (!out?.seq.length || !Number.isFinite(out.score)) throw new Error(`${task} gave no tokens`);
    return `${task} ${out.text}`;
  } finally {
    await runner.release();
  }
}

async function detectOnce(dir: string, bytes: Uint8Array): Promise<string> {
  const d = new DetectorAdapter({
    modelDir: dir,
    threads: { intraOpNumThreads: 1, interOpNumThreads: 1, inference: 'inline' },
  });
  await d.setup();
  try {
    const r = await d.annotate([{ image_id: 'train-check', bytes }]);
    if (r.errors.length) throw new Error(r.errors[0].message);
    return `${r.region_text.length} boxes`;
  } finally {
    await d.teardown();
  }
}

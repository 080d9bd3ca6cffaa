import type { ModelFamily } from '../../schemas/model-manifest.ts';

/**
 * Public models `fld models pull` knows. URLs follow the Hugging Face hub pattern
 * `<base>/<repo>/resolve/main/<path>`; `FLD_HUB_URL` (or `--base-url`) overrides the base, which is
 * how tests serve the files from loopback. sha256 is pinned where we could check it; `null` means
 * not verifiable offline when this catalogue was written: the pull then records the hash it computed.
 */
export interface CatalogueFile {
  path: string;
  sha256: string | null;
  size: number | null;
  role?: string;
}

export interface CatalogueEntry {
  name: string;
  /** What the model is for, one line (`fld models pull --help` lists it). */
  description?: string;
  family: ModelFamily;
  version: string;
  repo: string;
  classes?: string[];
  tasks?: string[];
  input_size?: number;
  files: CatalogueFile[];
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';

const unpinned = (path: string, role?: string): CatalogueFile => ({
  path,
  sha256: null,
  size: null,
  ...(role ? { role } : {}),
});

const FLORENCE2_TASKS = [
  '<CAPTION>',
  '<DETAILED_CAPTION>',
  '<MORE_DETAILED_CAPTION>',
  '<OD>',
  '<DENSE_REGION_CAPTION>',
  '<CAPTION_TO_PHRASE_GROUNDING>',
  '<OCR>',
  '<OCR_WITH_REGION>',
  '<REGION_TO_DESCRIPTION>',
  '<REGION_PROPOSAL>',
];

const florence2Files = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/vision_encoder.onnx',
  'onnx/embed_tokens.onnx',
  'onnx/encoder_model.onnx',
  'onnx/decoder_model_merged.onnx',
].map((p) => unpinned(p));

/** COCO's 80 class names, in the index order of ultralytics exports. */
export const COCO80 =
  'person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove skateboard surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog pizza donut cake chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard cell_phone microwave oven toaster sink refrigerator book clock vase scissors teddy_bear hair_drier toothbrush'
    .split(' ')
    .map((s) => s.replaceAll('_', ' '));

export const CATALOGUE: CatalogueEntry[] = [
  {
    name: 'florence-2-base',
    description:
      'Florence-2 base (0.23B): captions (brief, detailed, more detailed), grounding, region texts, boxes; for specialists captioner, grounding, region_caption',
    family: 'florence2',
    version: 'onnx-community-main',
    repo: 'onnx-community/Florence-2-base',
    tasks: FLORENCE2_TASKS,
    files: florence2Files,
  },
  {
    name: 'florence-2-large',
    description: 'Florence-2 large (0.77B): the same tasks as florence-2-base, better and slower',
    family: 'florence2',
    version: 'onnx-community-main',
    repo: 'onnx-community/Florence-2-large',
    tasks: FLORENCE2_TASKS,
    files: florence2Files,
  },
  // An ultralytics YOLOv8n export ([1, 84, 8400] output). The repository name is not verified offline.
  {
    name: 'yolov8n',
    description: "YOLOv8n (ultralytics export): boxes of COCO's 80 classes; for specialists detector",
    family: 'detector',
    version: 'ultralytics-8',
    repo: 'Ultralytics/YOLOv8',
    classes: COCO80,
    input_size: 640,
    files: [unpinned('yolov8n.onnx', 'model')],
  },
];

/** The catalogue as help text: one line per model, its name and what it is for. */
export function catalogueLines(catalogue: CatalogueEntry[] = CATALOGUE): string[] {
  const w = Math.max(...catalogue.map((c) => c.name.length));
  return catalogue.map((c) => `  ${c.name.padEnd(w)}  ${c.description ?? c.family}`);
}

export function catalogueEntry(name: string, catalogue: CatalogueEntry[] = CATALOGUE): CatalogueEntry {
  const e = catalogue.find((c) => c.name === name);
  if (!e) throw new Error(`unknown model "${name}"; the catalogue has: ${catalogue.map((c) => c.name).join(', ')}`);
  return e;
}

export function fileUrl(base: string, repo: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${repo}/resolve/main/${path.split('/').map(encodeURIComponent).join('/')}`;
}

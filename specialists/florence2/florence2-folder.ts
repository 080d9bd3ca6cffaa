/**
 * A Florence-2 model folder in the public ONNX layout (docs/florence2-formats.md section 1): the four graphs under
 * `onnx/` with a dtype suffix, and the JSON configs. Every size and id is read from here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** transformers.js's dtype -> file suffix table (TJS src/utils/dtypes.js). */
export const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type Dtype = keyof typeof DTYPE_SUFFIX;

export const GRAPHS = ['vision_encoder', 'embed_tokens', 'encoder_model', 'decoder_model_merged'] as const;
export type GraphName = (typeof GRAPHS)[number];

/** One dtype for all graphs, or one per graph (Florence-2 is sensitive to quantising the encoder). */
export type DtypeChoice = Dtype | Partial<Record<GraphName, Dtype>>;

export function graphPath(dir: string, graph: GraphName, choice: DtypeChoice = 'fp32'): string {
  const dtype = typeof choice === 'string' ? choice : (choice[graph] ?? 'fp32');
  if (!(dtype in DTYPE_SUFFIX))
    throw new Error(
      `${dir}: unknown dtype ${JSON.stringify(dtype)} for ${graph} (known: ${Object.keys(DTYPE_SUFFIX).join(', ')})`,
    );
  return join(dir, 'onnx', `${graph}${DTYPE_SUFFIX[dtype]}.onnx`);
}

export async function readJson(dir: string, file: string): Promise<Record<string, unknown>> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message})`);
  }
}

export interface FolderConfigs {
  config: Record<string, unknown>;
  generation: Record<string, unknown>;
  preprocessor: Record<string, unknown>;
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

export async function readFolderConfigs(dir: string): Promise<FolderConfigs> {
  const [config, generation, preprocessor, tokenizer, tokenizerConfig] = await Promise.all(
    [
      'config.json',
      'generation_config.json',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ].map((f) => readJson(dir, f)),
  );
  return { config, generation, preprocessor, tokenizer, tokenizerConfig };
}

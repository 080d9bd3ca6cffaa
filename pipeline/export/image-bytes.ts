import { extname } from 'node:path';
import type { ImageSource } from '../storage/image-source.ts';
import { ExportInputError } from './export-errors.ts';

/** An image's bytes for the export: unlike a worker, the export cannot leave an image out, so a missing one stops it, named. */
export async function readForExport(source: ImageSource, image_id: string, uri: string): Promise<Uint8Array> {
  const got = await source.read(uri);
  // the reader's message names the uri already; the export's names the image too
  if ('error' in got)
    throw new ExportInputError(
      `export: image ${image_id} (${uri}) cannot be read: ${got.error.replace(/^cannot (read|fetch) \S+: /, '')}`,
    );
  return got.bytes;
}

/** The image's file name in the export: its id (unique in the collection) and the uri's extension. */
export function exportName(image_id: string, uri: string): string {
  const ext = extname(uri.replace(/[?#].*$/, '')).toLowerCase();
  return /^\.[a-z0-9]{1,5}$/.test(ext) ? image_id + ext : image_id;
}

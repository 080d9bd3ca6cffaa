import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStorage, type OpenedStorage } from '../storage/open.ts';
import { ExportInputError } from './errors.ts';

/**
 * Reads an image's bytes from its record's uri (pipeline/sources: an absolute local path, `file://`,
 * `s3://bucket/key`, or http(s)). One storage client per bucket, closed by `close()`.
 */
export class ImageReader {
  private readonly buckets = new Map<string, OpenedStorage>();

  async read(image_id: string, uri: string): Promise<Uint8Array> {
    try {
      const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(uri);
      if (s3) {
        let st = this.buckets.get(s3[1]);
        if (!st) this.buckets.set(s3[1], (st = openStorage(`s3://${s3[1]}`)));
        return await st.get(s3[2]);
      }
      if (/^https?:\/\//i.test(uri)) {
        const res = await fetch(uri);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      }
      return await readFile(uri.startsWith('file://') ? fileURLToPath(uri) : uri);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ExportInputError(`export: image ${image_id} (${uri}) cannot be read: ${why}`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.buckets.values()) await s.close();
    this.buckets.clear();
  }
}

/** The image's file name in the export: its id (unique in the collection) and the uri's extension. */
export function exportName(image_id: string, uri: string): string {
  const ext = extname(uri.replace(/[?#].*$/, '')).toLowerCase();
  return /^\.[a-z0-9]{1,5}$/.test(ext) ? image_id + ext : image_id;
}

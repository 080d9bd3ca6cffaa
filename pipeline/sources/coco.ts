import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileSource } from './file-source.ts';
import { preview } from './manifest-row.ts';
import { PathResolver, type PathOptions } from './paths.ts';
import { problem, SourceError, type SourceEntry, type SourceItem } from './types.ts';

export interface CocoOptions extends PathOptions {
  /**
   * Folder holding the images (`file_name` resolves against it). Default: the JSON's folder, or,
   * for the usual `annotations/instances_<split>.json` layout, `../<split>/` when that exists.
   */
  imagesDir?: string;
}

/** V8 cannot hold a string over ~512 MiB; bigger COCO files need a streaming parser (not built). */
const MAX_JSON_BYTES = 500 * 1024 * 1024;

/**
 * COCO instances JSON: `images`, `annotations` (bbox [x, y, w, h]) and `categories`. Each human box
 * becomes a pre-existing box [x0, y0, x1, y1] with its category name, carried on the image record
 * (the paper merges Object365's human boxes into region-text the same way). An annotation that
 * names an unknown image or category, or has a degenerate bbox, is a problem naming the
 * annotation id; the image and its other boxes go on. Images come out in the file's order.
 */
export class CocoSource extends FileSource<CocoOptions> {
  readonly type = 'coco' as const;
  constructor(file: string, opts: CocoOptions = {}) {
    super('coco json', file, opts, (f) => opts.imagesDir ?? defaultImagesDir(f));
  }

  async *entries(): AsyncIterable<SourceEntry> {
    const doc = await this.load();
    const images = doc.images as unknown[];
    const annotations = (doc.annotations ?? []) as unknown[];
    const categories = new Map<unknown, string>();
    for (const [i, c] of ((doc.categories ?? []) as unknown[]).entries()) {
      const cat = c as { id?: unknown; name?: unknown };
      if (typeof cat?.name !== 'string' || cat.id === undefined) {
        throw new SourceError(this.description, `categories[${i}] needs an id and a string name, got ${preview(c)}`);
      }
      categories.set(cat.id, cat.name);
    }
    const ids = new Map<unknown, number>();
    for (const [i, im] of images.entries()) {
      const id = (im as { id?: unknown })?.id;
      if (id !== undefined && !ids.has(id)) ids.set(id, i);
    }
    const boxes: SourceItem['existing_boxes'][] = images.map(() => []);
    for (const [i, a] of annotations.entries()) {
      const ann = (a ?? {}) as { id?: unknown; image_id?: unknown; category_id?: unknown; bbox?: unknown };
      const where = `annotations[${i}] (id ${preview(ann.id)})`;
      const at = ids.get(ann.image_id);
      if (at === undefined) {
        yield problem(this, 'unknown_image', where, `image_id ${preview(ann.image_id)} is not among the images`);
        continue;
      }
      const name = categories.get(ann.category_id);
      if (name === undefined) {
        yield problem(this, 'unknown_category', where, `category_id ${preview(ann.category_id)} is not among the categories`);
        continue;
      }
      const b = ann.bbox;
      if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v)) || b[2] <= 0 || b[3] <= 0) {
        yield problem(this, 'bad_annotation', where, `bbox must be [x, y, w, h] with w, h > 0, got ${preview(b)}`);
        continue;
      }
      const [x, y, w, h] = b as number[];
      boxes[at]!.push({ box: [x!, y!, x! + w!, y! + h!], category: name });
    }
    const paths = new PathResolver(this.root, this.opts);
    const seen = new Set<unknown>();
    for (const [i, im] of images.entries()) {
      const img = (im ?? {}) as { id?: unknown; file_name?: unknown; width?: unknown; height?: unknown };
      const where = `images[${i}] (id ${preview(img.id)})`;
      if (img.id === undefined || seen.has(img.id)) {
        yield problem(this, 'malformed', where, img.id === undefined ? 'image has no id' : `image id ${preview(img.id)} appears twice`);
        continue;
      }
      seen.add(img.id);
      if (typeof img.file_name !== 'string' || img.file_name === '') {
        yield problem(this, 'missing_uri', where, `no file_name, got ${preview(img.file_name)}`);
        continue;
      }
      const r = paths.resolve(img.file_name);
      if (!r.ok) {
        yield problem(this, r.reason, where, r.detail, { uri: img.file_name });
        continue;
      }
      const item: SourceItem = { kind: 'item', uri: r.uri, where, existing_boxes: boxes[i]! };
      if (isDim(img.width) && isDim(img.height)) {
        item.width = img.width;
        item.height = img.height;
      }
      yield item;
    }
  }

  private async load(): Promise<Record<string, unknown>> {
    let doc: unknown;
    try {
      const size = (await stat(this.file)).size;
      if (size > MAX_JSON_BYTES) throw new Error(`${size} bytes is more than one JSON.parse can hold (${MAX_JSON_BYTES}); split it or convert it to a JSONL manifest`);
      doc = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (e) {
      throw new SourceError(this.description, `cannot read: ${(e as Error).message}`, { cause: e });
    }
    if (!isCocoShape(doc)) throw new SourceError(this.description, 'not COCO instances JSON: expected an object with an "images" array (and "annotations", "categories")');
    return doc;
  }
}

const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function isCocoShape(doc: unknown): doc is Record<string, unknown> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return Array.isArray(d.images) && (d.annotations === undefined || Array.isArray(d.annotations)) && (d.categories === undefined || Array.isArray(d.categories));
}

function defaultImagesDir(file: string): string {
  const dir = dirname(file);
  const m = /^(?:instances|image_info)_(.+)\.json$/.exec(basename(file));
  if (m && basename(dir) === 'annotations') {
    const sibling = join(dir, '..', m[1]!);
    if (existsSync(sibling)) return sibling;
  }
  return dir;
}

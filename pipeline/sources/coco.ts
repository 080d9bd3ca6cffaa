import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileSource } from './file-source.ts';
import { preview } from './manifest-row.ts';
import { PathResolver, type PathOptions } from './paths.ts';
import { scanJsonArrays } from './json-arrays.ts';
import { problem, SourceError, type SourceEntry, type SourceItem, type SourceProblem } from './types.ts';

export interface CocoOptions extends PathOptions {
  /**
   * Folder holding the images (`file_name` resolves against it). Default: the JSON's folder, or,
   * for the usual `annotations/instances_<split>.json` layout, `../<split>/` when that exists.
   */
  imagesDir?: string;
}

/**
 * COCO instances JSON: `images`, `annotations` (bbox [x, y, w, h]) and `categories`. Each human box
 * becomes a pre-existing box [x0, y0, x1, y1] with its category name, carried on the image record
 * (the paper merges Object365's human boxes into region-text the same way). An annotation that
 * names an unknown image or category, or has a degenerate bbox, is a problem naming the
 * annotation id; the image and its other boxes go on. Images come out in the file's order.
 *
 * The file is streamed, never parsed whole (json-arrays.ts): pass 1 keeps images and categories,
 * pass 2 files each annotation into typed columns, so the order of the top-level keys does not
 * matter and an Objects365-size file (GiBs, ~25M boxes) fits: ~40 bytes a box plus the images.
 * Crowd annotations (`iscrowd: 1`) are kept: a box around a crowd of people is still a region of
 * "person".
 */
export class CocoSource extends FileSource<CocoOptions> {
  readonly type = 'coco' as const;
  constructor(file: string, opts: CocoOptions = {}) {
    super('coco json', file, opts, (f) => opts.imagesDir ?? defaultImagesDir(f));
  }

  async *entries(): AsyncIterable<SourceEntry> {
    await this.checkReadable();
    const problems: SourceProblem[] = [];
    /** An element as an object, or undefined after reporting why it is not one. */
    const parse = (key: string, json: string, i: number): Record<string, unknown> | undefined => {
      let v: unknown;
      try {
        v = JSON.parse(json);
      } catch (e) {
        problems.push(problem(this, 'malformed', `${key}[${i}]`, `not valid JSON (${(e as Error).message}): ${preview(json)}`));
        return undefined;
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      problems.push(problem(this, 'malformed', `${key}[${i}]`, `expected an object, got ${preview(v)}`));
      return undefined;
    };
    // Pass 1: images and categories (small), so pass 2 can file each annotation as it streams by.
    const images: { id: unknown; file_name: unknown; width: unknown; height: unknown }[] = [];
    const catIndex = new Map<unknown, number>();
    const catNames: string[] = [];
    const keys = await scanJsonArrays(this.file, this.description, new Set(['images', 'categories']), (key, json, i) => {
      const v = parse(key, json, i);
      if (!v) {
        if (key === 'categories') throw new SourceError(this.description, `categories[${i}] is not a JSON object: ${preview(json)}`);
        images.push(UNPARSED);
      } else if (key === 'images') {
        images.push({ id: v.id, file_name: v.file_name, width: v.width, height: v.height });
      } else {
        if (typeof v.name !== 'string' || v.id === undefined) throw new SourceError(this.description, `categories[${i}] needs an id and a string name, got ${preview(v)}`);
        if (!catIndex.has(v.id)) catIndex.set(v.id, catNames.push(v.name) - 1);
      }
    });
    if (!keys.has('images')) throw new SourceError(this.description, 'not COCO instances JSON: expected an object with an "images" array (and "annotations", "categories")');
    const imageIndex = new Map<unknown, number>();
    images.forEach((im, i) => {
      if (im.id !== undefined && !imageIndex.has(im.id)) imageIndex.set(im.id, i);
    });
    // Pass 2: annotations into typed columns (Objects365 has ~25M boxes: 40 bytes each here).
    const ann = { image: new Grow(Uint32Array), cat: new Grow(Uint32Array), box: new Grow(Float64Array) };
    if (keys.has('annotations')) {
      await scanJsonArrays(this.file, this.description, new Set(['annotations']), (key, json, i) => {
        const a = parse(key, json, i);
        if (!a) return;
        const where = `annotations[${i}] (id ${preview(a.id)})`;
        const at = imageIndex.get(a.image_id);
        if (at === undefined) return void problems.push(problem(this, 'unknown_image', where, `image_id ${preview(a.image_id)} is not among the images`));
        const cat = catIndex.get(a.category_id);
        if (cat === undefined) return void problems.push(problem(this, 'unknown_category', where, `category_id ${preview(a.category_id)} is not among the categories`));
        const b = a.bbox;
        if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v)) || b[2] <= 0 || b[3] <= 0) {
          return void problems.push(problem(this, 'bad_annotation', where, `bbox must be [x, y, w, h] with w, h > 0, got ${preview(b)}`));
        }
        ann.image.push(at);
        ann.cat.push(cat);
        ann.box.push(b[0]);
        ann.box.push(b[1]);
        ann.box.push(b[0] + b[2]);
        ann.box.push(b[1] + b[3]);
      });
    }
    yield* problems;
    // Group annotations by image (counting sort: keeps each image's boxes in file order).
    const starts = new Uint32Array(images.length + 1);
    const annImage = ann.image.view();
    for (const at of annImage) starts[at + 1]!++;
    for (let i = 0; i < images.length; i++) starts[i + 1]! += starts[i]!;
    const order = new Uint32Array(annImage.length);
    const fill = starts.slice(0, images.length);
    annImage.forEach((at, j) => (order[fill[at]!++] = j));
    const cats = ann.cat.view();
    const box = ann.box.view();

    const paths = new PathResolver(this.root, this.opts);
    const seen = new Set<unknown>();
    for (const [i, img] of images.entries()) {
      if (img === UNPARSED) continue; // reported when it was parsed
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
      const existing: NonNullable<SourceItem['existing_boxes']> = [];
      for (let k = starts[i]!; k < starts[i + 1]!; k++) {
        const j = order[k]!;
        existing.push({ box: [box[4 * j]!, box[4 * j + 1]!, box[4 * j + 2]!, box[4 * j + 3]!], category: catNames[cats[j]!]! });
      }
      const item: SourceItem = { kind: 'item', uri: r.uri, where, existing_boxes: existing };
      if (isDim(img.width) && isDim(img.height)) {
        item.width = img.width;
        item.height = img.height;
      }
      yield item;
    }
  }

  private async checkReadable(): Promise<void> {
    try {
      await stat(this.file);
    } catch (e) {
      throw new SourceError(this.description, `cannot read: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** A typed array that grows by doubling (annotation columns of unknown length). */
class Grow<T extends Uint32Array | Float64Array> {
  private a: T;
  private n = 0;
  constructor(private readonly make: { new (n: number): T }) {
    this.a = new make(1024);
  }
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  view(): T {
    return this.a.subarray(0, this.n) as T;
  }
}

const UNPARSED = { id: undefined, file_name: undefined, width: undefined, height: undefined };
const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function defaultImagesDir(file: string): string {
  const dir = dirname(file);
  const m = /^(?:instances|image_info)_(.+)\.json$/.exec(basename(file));
  if (m && basename(dir) === 'annotations') {
    const sibling = join(dir, '..', m[1]!);
    if (existsSync(sibling)) return sibling;
  }
  return dir;
}

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
 * The file is streamed in one pass, never parsed whole (json-arrays.ts): boxes go into typed
 * columns with their image and category ids interned, and are resolved at the end, so the order
 * of the top-level keys does not matter and an Objects365-size file (GiBs, ~25M boxes) fits:
 * ~60 bytes a box plus the images.
 * Crowd annotations (`iscrowd: 1`) are kept: a box around a crowd of people is still a region of
 * "person".
 */
export class CocoSource extends FileSource<CocoOptions> {
  readonly type = 'coco' as const;
  constructor(file: string, opts: CocoOptions = {}) {
    super('coco json', file, opts, (f) => opts.imagesDir ?? defaultImagesDir(f));
  }

  protected async *read(): AsyncIterable<SourceEntry> {
    await this.checkReadable();
    const problems: SourceProblem[] = [];
    /** An element as an object, or undefined after reporting why it is not one. */
    const parse = (key: string, json: string, i: number): Record<string, unknown> | undefined => {
      let v: unknown;
      try {
        v = JSON.parse(json);
      } catch (e) {
        problems.push(
          problem(this, 'malformed', `${key}[${i}]`, `not valid JSON (${(e as Error).message}): ${preview(json)}`),
        );
        return undefined;
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      problems.push(problem(this, 'malformed', `${key}[${i}]`, `expected an object, got ${preview(v)}`));
      return undefined;
    };
    // One pass over the file. Annotations may come before the images or categories they name
    // (COCO puts categories last), so their ids are interned to dense codes as they stream by and
    // resolved when the whole file has been read.
    const images: { id: unknown; file_name: unknown; width: unknown; height: unknown }[] = [];
    const imageIndex = new Map<unknown, number>();
    const catIndex = new Map<unknown, number>();
    const catNames: string[] = [];
    const imgCodes = new Interner();
    const catCodes = new Interner();
    // Boxes in typed columns (Objects365 has ~25M: ~60 bytes each here, not a JS object each).
    const ann = {
      at: new Grow(Uint32Array),
      id: new Grow(Float64Array),
      image: new Grow(Uint32Array),
      cat: new Grow(Uint32Array),
      box: new Grow(Float64Array),
    };
    const annProblems: { at: number; p: SourceProblem }[] = [];
    const annWhere = (i: number, id: unknown) => `annotations[${i}] (id ${preview(id)})`;
    const keys = await scanJsonArrays(
      this.file,
      this.description,
      new Set(['images', 'categories', 'annotations']),
      (key, json, i) => {
        const v = parse(key, json, i);
        if (key === 'images') {
          if (v && v.id !== undefined && !imageIndex.has(v.id)) imageIndex.set(v.id, images.length);
          images.push(v ? { id: v.id, file_name: v.file_name, width: v.width, height: v.height } : UNPARSED);
        } else if (key === 'categories') {
          if (!v) throw new SourceError(this.description, `categories[${i}] is not a JSON object: ${preview(json)}`);
          if (typeof v.name !== 'string' || v.id === undefined)
            throw new SourceError(
              this.description,
              `categories[${i}] needs an id and a string name, got ${preview(v)}`,
            );
          if (!catIndex.has(v.id)) catIndex.set(v.id, catNames.push(v.name) - 1);
        } else if (v) {
          const b = v.bbox;
          if (
            !Array.isArray(b) ||
            b.length !== 4 ||
            !b.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
            b[2] <= 0 ||
            b[3] <= 0
          ) {
            annProblems.push({
              at: i,
              p: problem(
                this,
                'bad_annotation',
                annWhere(i, v.id),
                `bbox must be [x, y, w, h] with w, h > 0, got ${preview(b)}`,
              ),
            });
            return;
          }
          ann.at.push(i);
          ann.id.push(typeof v.id === 'number' ? v.id : Number.NaN);
          ann.image.push(imgCodes.code(v.image_id));
          ann.cat.push(catCodes.code(v.category_id));
          ann.box.push(b[0]);
          ann.box.push(b[1]);
          ann.box.push(b[0] + b[2]);
          ann.box.push(b[1] + b[3]);
        }
      },
    );
    if (!keys.has('images'))
      throw new SourceError(
        this.description,
        'not COCO instances JSON: expected an object with an "images" array (and "annotations", "categories")',
      );
    const imageOf = imgCodes.resolve(imageIndex);
    const catOf = catCodes.resolve(catIndex);
    const [at, ids, codes, cats, box] = [
      ann.at.view(),
      ann.id.view(),
      ann.image.view(),
      ann.cat.view(),
      ann.box.view(),
    ];
    const annImage = new Int32Array(codes.length); // image index per box, -1 when the box is refused
    for (let j = 0; j < codes.length; j++) {
      const im = imageOf[codes[j]!]!;
      const id = Number.isNaN(ids[j]!) ? '?' : ids[j]!;
      annImage[j] = -1;
      if (im < 0)
        annProblems.push({
          at: at[j]!,
          p: problem(
            this,
            'unknown_image',
            annWhere(at[j]!, id),
            `image_id ${preview(imgCodes.raw[codes[j]!])} is not among the images`,
          ),
        });
      else if (catOf[cats[j]!]! < 0)
        annProblems.push({
          at: at[j]!,
          p: problem(
            this,
            'unknown_category',
            annWhere(at[j]!, id),
            `category_id ${preview(catCodes.raw[cats[j]!])} is not among the categories`,
          ),
        });
      else annImage[j] = im;
    }
    yield* problems;
    yield* annProblems.sort((x, y) => x.at - y.at).map((x) => x.p);
    // Group boxes by image (counting sort: keeps each image's boxes in file order).
    const starts = new Uint32Array(images.length + 1);
    for (const im of annImage) if (im >= 0) starts[im + 1]!++;
    for (let i = 0; i < images.length; i++) starts[i + 1]! += starts[i]!;
    const order = new Uint32Array(starts[images.length]!);
    const fill = starts.slice(0, images.length);
    annImage.forEach((im, j) => {
      if (im >= 0) order[fill[im]!++] = j;
    });

    const paths = new PathResolver(this.root, this.opts);
    const seen = new Set<unknown>();
    for (const [i, img] of images.entries()) {
      if (img === UNPARSED) continue; // reported when it was parsed
      const where = `images[${i}] (id ${preview(img.id)})`;
      if (img.id === undefined || seen.has(img.id)) {
        yield problem(
          this,
          'malformed',
          where,
          img.id === undefined ? 'image has no id' : `image id ${preview(img.id)} appears twice`,
        );
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
        existing.push({
          box: [box[4 * j]!, box[4 * j + 1]!, box[4 * j + 2]!, box[4 * j + 3]!],
          category: catNames[catOf[cats[j]!]!]!,
        });
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

/** Dense codes for raw ids (numbers or strings) seen before what they name is known. */
class Interner {
  private readonly codes = new Map<unknown, number>();
  readonly raw: unknown[] = [];
  code(v: unknown): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.raw.push(v) - 1;
      this.codes.set(v, c);
    }
    return c;
  }
  /** Index in `known` for every code, -1 where the id is unknown. */
  resolve(known: Map<unknown, number>): Int32Array {
    return Int32Array.from(this.raw, (v) => known.get(v) ?? -1);
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

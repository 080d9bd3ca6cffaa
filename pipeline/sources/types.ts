import type { z } from 'zod';
import type { ExistingBox, ExistingText } from '../../schemas/records.ts';

/**
 * The one small interface every collection source implements: an async iterable of entries, each
 * either an image (`kind: 'item'`) or a per-item problem (`kind: 'problem'`). A source never drops an
 * entry silently: anything it cannot turn into an image comes out as a problem naming the source,
 * where in it (line, row, annotation) and why. Whole-source failures (unreadable manifest, a CSV
 * without a `uri` column) throw a SourceError instead.
 */

export type SourceType = 'folder' | 's3' | 'jsonl' | 'csv' | 'parquet' | 'coco' | 'img2dataset';
export const SOURCE_TYPES: readonly SourceType[] = ['folder', 's3', 'jsonl', 'csv', 'parquet', 'coco', 'img2dataset'];

export interface SourceItem {
  kind: 'item';
  /**
   * Absolute local path, `s3://bucket/key`, or an http(s) URL, already in the normal form of
   * ids.ts `normaliseUri` (the planner hashes it as is; detect.test checks the sources keep this).
   */
  uri: string;
  alt_text?: string;
  existing_boxes?: z.infer<typeof ExistingBox>[];
  existing_texts?: z.infer<typeof ExistingText>[];
  /** Known without reading the image (COCO, img2dataset); otherwise filled by the planner on request. */
  width?: number;
  height?: number;
  /** Where in the source this came from, for messages: `line 12`, `row 4`, `images[3]`, a relative path. */
  where: string;
  /** 1-based line (JSONL, CSV) or row (Parquet) number, when there is one. */
  line?: number;
}

/** Why an entry did not become an image. Counted per reason by the shard planner. */
export type ProblemReason =
  | 'malformed' // the line or row cannot be parsed, or a field has the wrong type
  | 'missing_uri' // no uri on this line / row
  | 'missing_file' // a local file that does not exist (or is not a regular file)
  | 'outside_root' // a path that escapes the source root (.., absolute, symlink)
  | 'bad_annotation' // a box or text that does not validate (it names the field)
  | 'unknown_image' // a COCO annotation whose image_id is not among the images
  | 'unknown_category' // a COCO annotation whose category_id is not among the categories
  | 'download_failed' // an img2dataset row whose status is not success
  | 'symlinked_folder' // a folder source does not walk symlinked folders (cycles); it says so
  | 'duplicate' // an image id seen before in this collection (planner)
  | 'unreadable_image'; // the planner was asked to read the header or bytes and could not

export interface SourceProblem {
  kind: 'problem';
  reason: ProblemReason;
  /** Full message: names the source, the place and the offending value. */
  message: string;
  where: string;
  line?: number;
  uri?: string;
}

export type SourceEntry = SourceItem | SourceProblem;

export interface Source {
  readonly type: SourceType;
  /** For messages: `jsonl manifest /data/m.jsonl`, `folder /data/imgs`, `s3 prefix s3://b/p/`. */
  readonly description: string;
  /** Local root that manifest paths are confined to (absent for S3). */
  readonly root?: string;
  entries(): AsyncIterable<SourceEntry>;
  /** Bytes of one of this source's non-local URIs (S3), for ids from bytes and header reads. */
  readBytes?(uri: string): Promise<Uint8Array>;
}

/** A failure of the whole source (not of one item); the message names the source. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
  }
}

export function problem(
  source: Source | string,
  reason: ProblemReason,
  where: string,
  detail: string,
  extra: { line?: number; uri?: string } = {},
): SourceProblem {
  const name = typeof source === 'string' ? source : source.description;
  return { kind: 'problem', reason, where, message: `${name}, ${where}: ${detail}`, ...extra };
}

/** Image file extensions a folder or an S3 prefix lists (case-insensitive). */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'bmp'] as const;
const extRe = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');
export const isImageName = (name: string): boolean => extRe.test(name);

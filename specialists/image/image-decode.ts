import sharp, { type Metadata } from 'sharp';

/** Formats we decode. Anything else sharp could read (SVG, PDF, HEIF, raw) is refused: SVG can reference files. */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff'] as const;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs). Default 100 MP. */
  maxPixels?: number;
  /** Colour that alpha is flattened onto, `#rrggbb`. Default white. */
  background?: string;
  /**
   * How damaged an image may be and still decode (sharp's `failOn`): default `warning` refuses
   * truncated or corrupt data; `none` decodes what it can (a truncated JPEG comes out grey at the bottom).
   */
  failOn?: 'none' | 'truncated' | 'error' | 'warning';
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

/** An image as 8-bit sRGB, interleaved RGB, after EXIF orientation; width and height are the original's after orientation. */
export interface RgbImage {
  width: number;
  height: number;
  /** `width * height * 3` bytes, row-major, RGB. */
  data: Buffer;
}

/** Bad bytes: the message says why, for an error row; the caller names the image. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/**
 * The pixel count an image's header declares (width x height of its first page), without decoding;
 * null when the header cannot be read (the decode will say why, as an error row).
 */
export async function declaredPixels(bytes: Uint8Array): Promise<{ width: number; height: number } | null> {
  if (bytes.byteLength === 0) return null;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    const w = meta.width ?? 0;
    const h = meta.pageHeight ?? meta.height ?? 0;
    return w > 0 && h > 0 ? { width: w, height: h } : null;
  } catch {
    return null;
  }
}

/**
 * Decodes once to interleaved 8-bit RGB. The header is read first so that a huge declared size is
 * refused before any pixel is decoded; sharp's own `limitInputPixels` guards the decode as well.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.byteLength === 0) throw new ImageDecodeError('empty file (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: opts.failOn ?? 'warning' }).metadata();
  } catch (e) {
    throw new ImageDecodeError(`not a readable image: ${firstLine(e)}`);
  }
  const format = meta.format as string | undefined;
  if (!format || !(ACCEPTED_FORMATS as readonly string[]).includes(format)) {
    throw new ImageDecodeError(`unsupported format ${format ?? 'unknown'} (accepted: ${ACCEPTED_FORMATS.join(', ')})`);
  }
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  if (!(w > 0 && h > 0)) throw new ImageDecodeError(`image declares no size (${w}x${h})`);
  if (w * h > maxPixels) {
    throw new ImageDecodeError(
      `image is ${w}x${h} = ${w * h} pixels, over the limit of ${maxPixels} (decompression bomb guard)`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: maxPixels,
      autoOrient: true,
      pages: 1,
      page: 0,
      failOn: opts.failOn ?? 'warning',
    })
      .flatten({ background: opts.background ?? '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageDecodeError(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(`decode failed (${format}): ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]
    .trim();
}

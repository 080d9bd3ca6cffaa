import type { ImageSize } from '../../schemas/loc-codec.ts';

/**
 * An image record's declared size against the size the specialist decoded. Every box a specialist
 * returns is in the decoded image's pixels (after EXIF orientation), and the merge clamps boxes to the
 * record's size and the export divides by it for `<loc_N>` tokens: a manifest whose width and height
 * are not the image's (sizes taken from another copy of the images, such as the originals of resized
 * files, or the size before EXIF orientation) would put every box of the image in the wrong place,
 * silently. So the annotate stage compares the two and makes a mismatch an error row naming both sizes.
 * A record without a size (null) is not checked: the export reads the header then.
 */
/** Why the declared size cannot be used for the decoded image, or null when they agree (or none is declared). */
export function sizeMismatch(
  declared: { width: number | null; height: number | null },
  decoded: ImageSize,
): string | null {
  const { width, height } = declared;
  if (width === null || height === null) return null;
  if (width === decoded.width && height === decoded.height) return null;
  const hint =
    width === decoded.height && height === decoded.width
      ? ' (width and height swapped: the size before EXIF orientation? give it after orientation)'
      : '';
  return `the record declares ${width}x${height} but the image decodes to ${decoded.width}x${decoded.height} after EXIF orientation${hint}; its boxes would be placed on the wrong size, so this specialist's rows for it are left out`;
}

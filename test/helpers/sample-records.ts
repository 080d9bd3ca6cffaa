import type {
  Box,
  ErrorRecord,
  ImageRecord,
  RegionTextRecord,
  TextPhraseRegionRecord,
  TextRecord,
} from '../../schemas/records.ts';
import { rng } from './rng.ts';

export { rng };

/**
 * Deterministic, plausible records of every kind, for shard tests (small counts) and the Parquet
 * writer benchmark (a million rows). Values follow schemas/records.ts and look like real output:
 * boxes of varied size inside 640x480..1920x1080 images, category labels that repeat, captions of
 * 5-60 words, provenance lists of one to three sources.
 */

const CATEGORIES = [
  'person',
  'car',
  'chair',
  'cup',
  'dog',
  'cat',
  'bottle',
  'book',
  'traffic light',
  'bicycle',
  'red circle',
  'blue square',
  'green triangle',
  'dining table',
  'potted plant',
  'laptop',
  'bus',
  'umbrella',
  'handbag',
  'clock',
  'bench',
  'bird',
  'horse',
  'truck',
  'boat',
  'sign',
  'window',
  'tree',
  'building',
  'shoe',
  'hat',
  'lamp',
  'phone',
  'keyboard',
  'bowl',
  'pizza',
  'cake',
  'vase',
];
const WORDS = (
  'a the of and with on in near under behind small large red blue green yellow white black wooden ' +
  'metal round square old young man woman child dog cat car street table chair window door building ' +
  'tree sky cloud grass road sign light shadow standing sitting walking holding looking next to front ' +
  'background left right top bottom corner scene picture image several two three many bright dark ' +
  'shiny striped tall short open closed empty full busy quiet city park room kitchen beach field'
).split(' ');
const OCR_WORDS = ['STOP', 'EXIT', 'OPEN', 'SALE', '24/7', 'Main St', 'CAFE', 'No Parking', 'Hotel', '50%'];
const SOURCES = [
  'detector@yolo-demo-1',
  'grounding@florence2-demo-1',
  'ocr@ppocr-v4',
  'florence2@round-1',
  'captioner@florence2-demo-1',
];
const GRANULARITIES = ['brief', 'detailed', 'more_detailed'] as const;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const round2 = (x: number): number => Math.round(x * 100) / 100;

function sentence(r: () => number, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(r, WORDS));
  return out.join(' ');
}

function sources(r: () => number): string[] {
  const n = 1 + Math.floor(r() * 3);
  const out = new Set<string>();
  while (out.size < n) out.add(pick(r, SOURCES));
  return [...out];
}

/** A box inside a w x h image: size log-uniform (many small, few large), position uniform. */
function box(r: () => number, w: number, h: number): Box {
  const bw = Math.max(2, w * Math.exp(Math.log(0.01) * r()));
  const bh = Math.max(2, h * Math.exp(Math.log(0.01) * r()));
  const x0 = r() * (w - bw);
  const y0 = r() * (h - bh);
  return [round2(x0), round2(y0), round2(x0 + bw), round2(y0 + bh)];
}

const imageSize = (i: number): [number, number] =>
  [
    [640, 480],
    [1280, 720],
    [1920, 1080],
    [800, 600],
  ][i % 4] as [number, number];
const imageId = (i: number): string => `img-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`;

export function imageRecords(n: number, seed = 1): ImageRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const [w, h] = imageSize(i);
    return {
      image_id: imageId(i),
      uri: `file:///data/demo/images/${String(i).padStart(7, '0')}.png`,
      width: i % 17 === 5 ? null : w,
      height: i % 17 === 5 ? null : h,
      collection: 'demo',
      shard: Math.floor(i / 1000),
      alt_text: r() < 0.5 ? sentence(r, 3, 12) : null,
      existing_texts: r() < 0.3 ? [{ granularity: pick(r, GRANULARITIES), text: sentence(r, 5, 30) }] : [],
      existing_boxes: Array.from({ length: Math.floor(r() * 3) }, () => ({
        box: box(r, w, h),
        category: pick(r, CATEGORIES),
      })),
      error: i % 23 === 7 ? 'decode failed: not a PNG' : null,
    };
  });
}

export function textRecords(n: number, seed = 2): TextRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const g = GRANULARITIES[i % 3];
    const text = g === 'brief' ? sentence(r, 5, 12) : g === 'detailed' ? sentence(r, 15, 35) : sentence(r, 30, 60);
    return {
      image_id: imageId(Math.floor(i / 3)),
      round: 0,
      text_id: `t${i}`,
      granularity: g,
      text,
      source: pick(r, SOURCES),
      score: r() < 0.2 ? null : round2(r()),
      sources: sources(r),
      objects: Math.floor(r() * 12),
      attributes: Math.floor(r() * 8),
      actions: Math.floor(r() * 4),
      proper_nouns: Math.floor(r() * 2),
      object_complexity: round2(r() * 4),
      action_complexity: round2(r() * 3),
    };
  });
}

export function regionTextRecords(n: number, seed = 3): RegionTextRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const img = Math.floor(i / 8);
    const [w, h] = imageSize(img);
    const b = box(r, w, h);
    const isText = r() < 0.15;
    return {
      image_id: imageId(img),
      round: 0,
      region_id: `r${i}`,
      kind: isText ? 'text' : 'object',
      box: b,
      quad: isText ? [b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]] : null,
      phrase: isText ? pick(r, OCR_WORDS) : pick(r, CATEGORIES),
      brief: r() < 0.7 ? sentence(r, 3, 10) : null,
      noun_chunks: Array.from({ length: Math.floor(r() * 4) }, () => `${pick(r, WORDS)} ${pick(r, CATEGORIES)}`),
      source: pick(r, SOURCES),
      score: r() < 0.1 ? null : round2(r()),
      sources: sources(r),
    };
  });
}

export function textPhraseRegionRecords(n: number, seed = 4): TextPhraseRegionRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const img = Math.floor(i / 5);
    const [w, h] = imageSize(img);
    const phrase = pick(r, CATEGORIES);
    const start = Math.floor(r() * 80);
    return {
      image_id: imageId(img),
      round: 0,
      text_id: `t${Math.floor(i / 2)}`,
      granularity: pick(r, GRANULARITIES),
      phrase,
      span: [start, start + phrase.length],
      boxes: Array.from({ length: 1 + Math.floor(r() * 3) }, () => box(r, w, h)),
      source: pick(r, SOURCES),
      score: r() < 0.2 ? null : round2(r()),
      sources: sources(r),
    };
  });
}

export function errorRecords(n: number, seed = 5): ErrorRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    image_id: i % 5 === 4 ? '' : imageId(i),
    shard: Math.floor(i / 10),
    stage: pick(r, ['annotate:detector', 'annotate:ocr', 'merge']),
    message: `${pick(r, ['decode failed', 'box outside image', 'timeout'])} (item ${i})`,
  }));
}

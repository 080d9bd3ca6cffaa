import type { StatsDb } from './db.ts';

/**
 * The data behind the paper's Figure 5, binned in SQL so a plot of a billion boxes is a few hundred
 * numbers: (a) normalised box area, (b) log aspect ratio ln(w / h), (c, d) box-centre heatmaps, each
 * for region_text boxes beside text_phrase_region boxes (every box of a row counts).
 *
 * Boxes are normalised by the image size from the collection's image records; an image without one
 * (no images/ shards, or null width/height) falls back to the extent of its boxes in this round (the
 * largest x1 and y1), which over-states areas and centres: `normalised_by` says how many of each.
 */
export interface Bin {
  kind: string;
  start: number;
  end: number;
  count: number;
  fraction: number;
}
export interface Cell {
  kind: string;
  x: number;
  y: number;
  count: number;
  fraction: number;
}

export interface SpatialStats {
  boxes: Record<string, number>;
  /** Boxes left out because they, or their image size, have no positive width and height. */
  degenerate: number;
  normalised_by: { image_size: number; box_extents: number };
  area: Bin[];
  log_aspect: Bin[];
  centres: Cell[];
  /** Bin widths, for plots. */
  area_bin: number;
  log_aspect_bin: number;
  log_aspect_range: [number, number];
  centre_bins: number;
}

const AREA_BINS = 50;
const LOG_AR_MAX = 4; // ln(w/h) is clamped to [-4, 4]: 1:55 to 55:1
const LOG_AR_BINS = 40;
const CENTRE_BINS = 20;
export const BOX_KINDS = ['region_text', 'text_phrase_region'] as const;

export async function spatialStats(db: StatsDb, p: string): Promise<SpatialStats> {
  const t = `${p}boxes_norm`;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${t} AS
    WITH b AS (
      SELECT 'region_text' AS kind, image_id, box[1] AS x0, box[2] AS y0, box[3] AS x1, box[4] AS y1 FROM ${p}region_text
      UNION ALL
      SELECT 'text_phrase_region', image_id, bx[1], bx[2], bx[3], bx[4]
        FROM (SELECT image_id, unnest(boxes) AS bx FROM ${p}text_phrase_region)),
    ext AS (SELECT image_id, max(x1) AS w, max(y1) AS h FROM b GROUP BY 1),
    img AS (SELECT image_id, any_value(width) AS w, any_value(height) AS h FROM ${p}images
              WHERE width IS NOT NULL AND height IS NOT NULL GROUP BY 1)
    SELECT b.kind, b.image_id, img.w IS NULL AS by_extent,
      coalesce(img.w, ext.w) AS W, coalesce(img.h, ext.h) AS H, x1 - x0 AS bw, y1 - y0 AS bh, x0, y0
    FROM b LEFT JOIN img USING (image_id) LEFT JOIN ext USING (image_id)`);
  const ok = `bw > 0 AND bh > 0 AND W > 0 AND H > 0`;
  const counts = await db.rows<{ kind: string; n: number; bad: number }>(
    `SELECT kind, count(*) FILTER (WHERE ${ok}) AS n, count(*) FILTER (WHERE NOT coalesce(${ok}, false)) AS bad FROM ${t} GROUP BY 1`,
  );
  const norm = (
    await db.rows<{ size: number; ext: number }>(
      `SELECT count(DISTINCT image_id) FILTER (WHERE NOT by_extent) AS size, count(DISTINCT image_id) FILTER (WHERE by_extent) AS ext FROM ${t}`,
    )
  )[0];
  const boxes = Object.fromEntries(BOX_KINDS.map((k) => [k, counts.find((c) => c.kind === k)?.n ?? 0]));

  // Multiplying by bins-per-unit (an exact number here) rather than dividing by the bin width keeps
  // values on a bin edge in the bin that starts there (0.06 / 0.02 < 3 in floating point).
  const hist = (expr: string, lo: number, width: number, bins: number) =>
    db.rows<Bin>(`
    WITH v AS (SELECT kind, least(greatest(floor((${expr} - (${lo})) * ${1 / width}), 0), ${bins - 1})::INTEGER AS i FROM ${t} WHERE ${ok}),
    h AS (SELECT kind, i, count(*) AS count FROM v GROUP BY ALL)
    SELECT kind, ${lo} + i * ${width} AS start, ${lo} + (i + 1) * ${width} AS "end", count,
      count / sum(count) OVER (PARTITION BY kind) AS fraction FROM h ORDER BY kind, i`);
  const area = await hist('(bw * bh) / (W * H)', 0, 1 / AREA_BINS, AREA_BINS);
  const logAr = await hist('ln(bw / bh)', -LOG_AR_MAX, (2 * LOG_AR_MAX) / LOG_AR_BINS, LOG_AR_BINS);
  const cell = (v: string, size: string) =>
    `least(greatest(floor((${v}) / ${size} * ${CENTRE_BINS}), 0), ${CENTRE_BINS - 1})::INTEGER`;
  const centres = await db.rows<Cell>(`
    WITH h AS (SELECT kind, ${cell('x0 + bw / 2', 'W')} AS x, ${cell('y0 + bh / 2', 'H')} AS y, count(*) AS count
               FROM ${t} WHERE ${ok} GROUP BY ALL)
    SELECT kind, x, y, count, count / sum(count) OVER (PARTITION BY kind) AS fraction FROM h ORDER BY kind, y, x`);
  return {
    boxes,
    degenerate: counts.reduce((a, c) => a + c.bad, 0),
    normalised_by: { image_size: norm.size, box_extents: norm.ext },
    area,
    log_aspect: logAr,
    centres,
    area_bin: 1 / AREA_BINS,
    log_aspect_bin: (2 * LOG_AR_MAX) / LOG_AR_BINS,
    log_aspect_range: [-LOG_AR_MAX, LOG_AR_MAX],
    centre_bins: CENTRE_BINS,
  };
}

import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RoundQualityEntry } from './quality-rounds.ts';
import type { SpatialStats } from './spatial.ts';

/**
 * Figure 5 of the paper as PNGs: Vega-Lite specs over the pre-binned data of spatial.ts, rendered to
 * SVG by Vega's headless renderer (no canvas) and rasterised by sharp (librsvg). Each figure puts
 * region-text beside text-phrase-region.
 */
export interface Plot {
  id: string;
  title: string;
  png: Buffer;
}

const KIND_LABEL: Record<string, string> = { region_text: 'region-text', text_phrase_region: 'text-phrase-region' };
const label = <T extends { kind: string }>(rows: T[]) =>
  rows.map((r) => ({ ...r, kind: KIND_LABEL[r.kind] ?? r.kind }));
const column = { field: 'kind', type: 'nominal', title: null, sort: Object.values(KIND_LABEL) } as const;

function histogram(title: string, xTitle: string, rows: SpatialStats['area'], domain: [number, number]): TopLevelSpec {
  return {
    title,
    data: { values: label(rows) },
    facet: { column },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 200,
      mark: { type: 'rect', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'start', type: 'quantitative', title: xTitle, scale: { domain } },
        x2: { field: 'end' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of boxes', axis: { format: '.0%' } },
      },
    },
  };
}

function heatmap(s: SpatialStats): TopLevelSpec {
  const n = s.centre_bins;
  const values = label(s.centres).map((c) => ({
    ...c,
    x0: c.x / n,
    x1: (c.x + 1) / n,
    y0: c.y / n,
    y1: (c.y + 1) / n,
  }));
  return {
    title: 'Box centres (normalised x, y; y grows downwards as in the image)',
    data: { values },
    facet: { column },
    spec: {
      width: 240,
      height: 240,
      mark: 'rect',
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: 'centre x', scale: { domain: [0, 1] } },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', title: 'centre y', scale: { domain: [0, 1], reverse: true } },
        y2: { field: 'y1' },
        color: {
          field: 'fraction',
          type: 'quantitative',
          title: 'fraction',
          scale: { scheme: 'viridis', zero: true },
          legend: { format: '.1%' },
        },
      },
    },
  };
}

async function render(spec: TopLevelSpec): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  // density 144 draws the SVG at twice its CSS size, sharp enough for a report.
  return sharp(Buffer.from(svg), { density: 144 }).flatten({ background: '#ffffff' }).png().toBuffer();
}

/** The three figures; none when the round has no boxes (an empty chart would say nothing). */
export async function spatialPlots(s: SpatialStats): Promise<Plot[]> {
  if (Object.values(s.boxes).every((n) => n === 0)) return [];
  const specs: [string, string, TopLevelSpec][] = [
    [
      'area',
      'Box area (fraction of the image)',
      histogram('Box area distribution', 'box area / image area', s.area, [0, 1]),
    ],
    [
      'aspect',
      'Log aspect ratio',
      histogram('Log aspect ratio distribution', 'ln(width / height)', s.log_aspect, s.log_aspect_range),
    ],
    ['centres', 'Box-centre heatmaps', heatmap(s)],
  ];
  const plots: Plot[] = [];
  for (const [id, title, spec] of specs) plots.push({ id, title, png: await render(spec) });
  return plots;
}

/** The figures of the quality table where higher is better (OCR as 1 - CER), per round. */
const QUALITY_LINES: [string, (q: RoundQualityEntry['annotated']) => number | null][] = [
  ['box F1', (s) => (s.boxes.tp + s.boxes.fp ? s.boxes.f1 : null)],
  ['brief caption F1', (s) => (s.captions.brief.captioned ? s.captions.brief.f1 : null)],
  ['detailed caption F1', (s) => (s.captions.detailed.captioned ? s.captions.detailed.f1 : null)],
  ['more detailed caption F1', (s) => (s.captions.more_detailed.captioned ? s.captions.more_detailed.f1 : null)],
  [
    'brief grounding accuracy',
    (s) => (s.grounding.by_granularity?.brief.phrases ? s.grounding.by_granularity.brief.accuracy : null),
  ],
  [
    'detailed grounding accuracy',
    (s) => (s.grounding.by_granularity?.detailed.phrases ? s.grounding.by_granularity.detailed.accuracy : null),
  ],
  ['region description accuracy', (s) => (s.region_briefs?.described ? s.region_briefs.accuracy : null)],
  ['OCR 1 - CER', (s) => (s.ocr.truth_chars ? Math.max(0, 1 - s.ocr.cer) : null)],
];

/** Quality per round as one line per figure; none when fewer than one round was scored. */
export async function qualityPlots(rounds: readonly RoundQualityEntry[]): Promise<Plot[]> {
  const values = rounds.flatMap((r) =>
    QUALITY_LINES.flatMap(([figure, get]) => {
      const v = get(r.annotated);
      return v === null ? [] : [{ round: r.round, figure, value: v }];
    }),
  );
  if (!values.length) return [];
  const spec: TopLevelSpec = {
    title: "Quality per round against the world's truth (higher is better)",
    data: { values },
    width: 480,
    height: 260,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'round', type: 'ordinal', title: 'round', axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: 'figure', scale: { domain: [0, 1] } },
      color: { field: 'figure', type: 'nominal', title: null, sort: QUALITY_LINES.map(([f]) => f) },
    },
  };
  return [{ id: 'quality', title: 'Quality per round', png: await render(spec) }];
}

import { acceptanceTables } from './acceptance-table.ts';
import { qualityTable } from './quality-table.ts';
import type { DiffCounts } from './diff.ts';
import type { RoundStats } from './round-stats.ts';
import { fmtAvg, fmtDelta, fmtInt, fmtPct, type Table } from './table.ts';

/** RoundStats as the tables both the terminal and the HTML report show, in reading order. */

const TOKENS_NOTE = 'Tokens are whitespace-separated words.';

function overviewTable(s: RoundStats): Table {
  const o = s.overview;
  const per = (n: number) => fmtAvg(o.images ? n / o.images : null);
  const kinds = Object.entries(o.region_kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const rows = [
    [
      'images (with any annotation)',
      fmtInt(o.images),
      '',
      `shards: ${s.shards.text} text, ${s.shards.region_text} region_text, ${s.shards.text_phrase_region} text_phrase_region`,
    ],
    ['text annotations', fmtInt(o.text), per(o.text), ''],
    ['region-text annotations', fmtInt(o.region_text), per(o.region_text), kinds],
    [
      'text-phrase-region annotations',
      fmtInt(o.text_phrase_region),
      per(o.text_phrase_region),
      `${o.text_phrase_region_boxes} boxes`,
    ],
    ['error rows', fmtInt(o.errors), '', `shards: ${s.shards.errors} errors`],
  ];
  if (o.collection_images !== null) rows.push(['image records in the collection', fmtInt(o.collection_images), '', '']);
  return {
    title: `Round ${s.round} of collection "${s.collection}"`,
    headers: ['', 'count', 'per image', 'notes'],
    numeric: [false, true, true, false],
    rows,
  };
}

/** Longer messages are cut in the table; `--json` has them whole. */
const EXAMPLE_CHARS = 120;

function errorStagesTable(s: RoundStats): Table {
  return {
    title: 'Error rows per stage',
    headers: ['stage', 'rows', 'images', 'example'],
    numeric: [false, true, true, false],
    rows: s.error_stages.map((r) => [
      r.stage,
      fmtInt(r.rows),
      fmtInt(r.images),
      r.example.length > EXAMPLE_CHARS ? `${r.example.slice(0, EXAMPLE_CHARS - 1)}…` : r.example,
    ]),
    note: "An image with any error row is left out of the round's export. The example is the stage's first message.",
  };
}

function table2(s: RoundStats): Table {
  return {
    title: 'Table 2: annotations per type',
    headers: [
      'Annotation Type',
      'Text Type',
      '#Image Annotations',
      '#Avg Tokens',
      '#Regions',
      '#Avg Regions',
      '#Avg Regional Tokens',
    ],
    numeric: [false, false, true, true, true, true, true],
    rows: s.table2.map((r) => [
      r.annotation_type,
      r.text_type,
      fmtInt(r.image_annotations),
      fmtAvg(r.avg_tokens),
      fmtInt(r.regions),
      fmtAvg(r.avg_regions),
      fmtAvg(r.avg_regional_tokens),
    ]),
    note:
      `${TOKENS_NOTE} Text: #image annotations = texts. Region-Text: = images with regions, #avg regions per such image. ` +
      'Text-Phrase-Region: = texts with phrase-region rows, #regions = phrase-region rows, #avg regions per such text.',
  };
}

function table3(s: RoundStats): Table {
  const t = s.table3;
  const line = (name: string, f: (r: (typeof t)[number]) => string) => [name, ...t.map(f)];
  return {
    title: 'Table 3: semantic elements of texts per granularity',
    headers: ['Text Type', 'Brief', 'Detailed', 'More detailed'],
    numeric: [false, true, true, true],
    rows: [
      line('#Image Annotations', (r) => fmtInt(r.image_annotations)),
      line('#Avg Tokens', (r) => fmtAvg(r.avg_tokens)),
      line('#Avg Objects', (r) => fmtAvg(r.avg_objects)),
      line('#Avg Attributes', (r) => fmtAvg(r.avg_attributes)),
      line('#Avg Actions', (r) => fmtAvg(r.avg_actions)),
      line('#Proper Nouns', (r) => fmtAvg(r.avg_proper_nouns)),
      line('Avg Object Complexity', (r) => fmtAvg(r.avg_object_complexity)),
      line('Avg Action Complexity', (r) => fmtAvg(r.avg_action_complexity)),
    ],
  };
}

function sourcesTable(s: RoundStats): Table {
  return {
    title: 'Rows per source',
    headers: ['kind', 'source', 'rows', 'contributed to'],
    numeric: [false, false, true, true],
    rows: s.sources.map((r) => [r.kind, r.source, fmtInt(r.rows), fmtInt(r.contributed)]),
    note: 'rows: rows whose source is this; contributed to: rows whose sources list names it.',
  };
}

function filterTables(s: RoundStats): Table[] {
  const f = s.filters;
  return [
    {
      title: 'Done markers per stage',
      headers: ['stage', 'shards done', 'with stats'],
      numeric: [false, true, true],
      rows: f.stages.map((d) => [d.stage, fmtInt(d.shards), fmtInt(d.shards_with_stats)]),
    },
    {
      title: 'Filter pass rates',
      headers: ['stage', 'filter', 'total', 'kept', 'dropped', 'pass rate'],
      numeric: [false, false, true, true, true, true],
      rows: f.filters.map((r) => [
        r.stage,
        r.filter,
        fmtInt(r.total),
        fmtInt(r.kept),
        fmtInt(r.dropped),
        fmtPct(r.pass_rate),
      ]),
    },
    {
      title: 'Drop reasons',
      headers: ['stage', 'filter', 'reason', 'dropped', 'of total'],
      numeric: [false, false, false, true, true],
      rows: f.filters.flatMap((r) =>
        r.reasons.map((x) => [r.stage, r.filter, x.reason, fmtInt(x.n), fmtPct(r.total ? x.n / r.total : null)]),
      ),
    },
  ];
}

function spatialTable(s: RoundStats): Table {
  const sp = s.spatial;
  return {
    title: 'Boxes in the plots',
    headers: ['', 'count'],
    numeric: [false, true],
    rows: [
      ['region-text boxes', fmtInt(sp.boxes.region_text)],
      ['text-phrase-region boxes', fmtInt(sp.boxes.text_phrase_region)],
      ['left out (no positive width/height)', fmtInt(sp.degenerate)],
      ['images normalised by their size', fmtInt(sp.normalised_by.image_size)],
      ["images normalised by their boxes' extent", fmtInt(sp.normalised_by.box_extents)],
    ],
  };
}

const diffRow = (label: string[], c: DiffCounts) => [
  ...label,
  fmtInt(c.before),
  fmtInt(c.after),
  fmtDelta(c.after - c.before),
  fmtInt(c.added),
  fmtInt(c.removed),
  fmtInt(c.changed),
];
const DIFF_HEADERS = ['before', 'after', 'delta', 'added', 'removed', 'changed'];

function diffTables(s: RoundStats): Table[] {
  const d = s.diff;
  if (!d) return [];
  const vs = `round ${d.to_round} vs round ${d.from_round}`;
  const num = (lead: number) => [...Array(lead).fill(false), ...DIFF_HEADERS.map(() => true)];
  return [
    {
      title: `Diff ${vs}: rows per kind`,
      headers: ['kind', ...DIFF_HEADERS, 'images changed'],
      numeric: [...num(1), true],
      rows: d.kinds.map((k) => [...diffRow([k.kind], k.rows), fmtInt(k.images_changed)]),
      note:
        `Images with any added, removed or changed row: ${d.images_changed}` +
        (d.images_changed_sample.length ? ` (first: ${d.images_changed_sample.slice(0, 10).join(', ')})` : '') +
        '. A row is identified by its ids; "changed" = same ids, other columns differ.',
    },
    {
      title: `Diff ${vs}: per granularity / region kind`,
      headers: ['kind', 'group', ...DIFF_HEADERS],
      numeric: num(2),
      rows: d.kinds.flatMap((k) => k.groups.map((g) => diffRow([k.kind, g.key], g))),
    },
    {
      title: `Diff ${vs}: per source`,
      headers: ['kind', 'source', ...DIFF_HEADERS],
      numeric: num(2),
      rows: d.kinds.flatMap((k) => k.sources.map((g) => diffRow([k.kind, g.key], g))),
    },
  ];
}

/** Quality per round (and on the held-out set where scored), when the rounds were scored against a world. */
function qualityTables(s: RoundStats): Table[] {
  if (!s.quality.length) return [];
  const cols = s.quality.flatMap((q) => [
    { label: `round ${q.round}`, set: q.annotated },
    ...(q.held_out ? [{ label: `round ${q.round} held out`, set: q.held_out }] : []),
  ]);
  return [qualityTable(cols, `Quality per round against the world's truth (${s.collection})`)];
}

export function reportTables(s: RoundStats): Table[] {
  return [
    overviewTable(s),
    ...(s.error_stages.length ? [errorStagesTable(s)] : []),
    table2(s),
    table3(s),
    sourcesTable(s),
    ...filterTables(s),
    spatialTable(s),
    ...diffTables(s),
    ...qualityTables(s),
    ...(s.acceptance ? acceptanceTables(s.acceptance) : []),
  ];
}

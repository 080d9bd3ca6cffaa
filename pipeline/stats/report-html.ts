import type { Plot } from './plots.ts';
import { reportTables } from './report-tables.ts';
import type { RoundStats } from './round-stats.ts';
import type { Table } from './table.ts';

/** A self-contained HTML report: the tables of the terminal output and the plots as inline PNGs. */

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function tableHtml(t: Table, id: string): string {
  const cells = (r: string[], tag: 'td' | 'th') =>
    r.map((c, i) => `<${tag}${t.numeric[i] ? ' class="n"' : ''}>${esc(c)}</${tag}>`).join('');
  const body = t.rows.length
    ? t.rows.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('\n')
    : `<tr><td colspan="${t.headers.length}">(none)</td></tr>`;
  return `<section id="${id}"><h2>${esc(t.title)}</h2>
<table><thead><tr>${cells(t.headers, 'th')}</tr></thead>
<tbody>
${body}
</tbody></table>${t.note ? `\n<p class="note">${esc(t.note)}</p>` : ''}</section>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
th{background:#f4f4f4}.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:12px}
.warn{background:#fff6e0;border-left:4px solid #e0a000;padding:.5em 1em}figure{margin:1em 0}img{max-width:100%}`;

export function reportHtml(s: RoundStats, plots: Plot[], qualityPlots: Plot[] = []): string {
  const title = `stats: collection "${s.collection}", round ${s.round}${s.diff ? ` (diff vs round ${s.diff.from_round})` : ''}`;
  const warnings = s.warnings.length
    ? `<div class="warn"><h2>Notes</h2><ul>${s.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`
    : '';
  const tables = reportTables(s)
    .map((t, i) => tableHtml(t, `table-${i}`))
    .join('\n');
  const figure = (p: Plot) => `<figure id="plot-${p.id}"><figcaption><h2>${esc(p.title)}</h2></figcaption>
<img alt="${esc(p.title)}" src="data:image/png;base64,${p.png.toString('base64')}"></figure>`;
  const quality = qualityPlots.map(figure).join('\n');
  const figures = plots.length === 0 ? '<p>No boxes in this round, so no plots.</p>' : plots.map(figure).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<p class="note">Storage root ${esc(s.root)}; schema_version ${s.schema_version}.</p>
${warnings}
${tables}
${quality}
<h2>Spatial coverage (paper Figure 5)</h2>
${figures}
</body></html>
`;
}

import { StatsInputError } from '../stats/stats-errors.ts';
import type { Storage } from '../storage/storage.ts';
import { listRounds } from '../rounds/round-reader.ts';

export interface StatsRequest {
  storage: Storage;
  collection?: string;
  round?: number;
  diff?: number;
}
export interface Page {
  status: number;
  html: string;
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const NAV =
  '<nav style="font:14px sans-serif;margin:0 0 1em"><a href="/queues">Queues</a> · <a href="/rounds">Rounds</a></nav>';

function page(status: number, title: string, body: string): Page {
  return {
    status,
    html:
      `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
      `<body style="font:14px sans-serif;margin:2em">${NAV}<h1>${esc(title)}</h1>${body}</body></html>`,
  };
}

/** The rounds in the storage, each linking to its report; a storage that cannot be listed is a 500 page saying why. */
export async function indexPage(storage: Storage): Promise<Page> {
  let rounds;
  try {
    rounds = await listRounds(storage);
  } catch (e) {
    return page(500, 'Rounds not listed', `<p>${esc((e as Error).message)}</p>`);
  }
  const where = `<code>${esc(storage.url)}</code>`;
  if (!rounds.length) return page(200, 'Rounds', `<p>No rounds under ${where} yet.</p>`);
  const items = rounds.map(({ collection, round }) => {
    const q = new URLSearchParams({ collection, round: String(round) });
    return `<li><a href="/stats?${esc(q.toString())}">${esc(collection)} round ${round}</a></li>`;
  });
  return page(200, 'Rounds', `<p>Under ${where}:</p><ul>${items.join('')}</ul>`);
}

/**
 * The report `fld stats --html` writes, generated on request from the shards (so it is never stale)
 * with a navigation line added. Bad input (missing or empty round, foreign shards) is a 404 page
 * with the stats module's own message; anything else a 500 with its message.
 */
export async function reportPage(req: StatsRequest & { round: number }): Promise<Page> {
  // Loaded on first request: DuckDB and Vega take a second that starting the dashboard should not pay.
  const { computeRoundStats } = await import('../stats/round-stats.ts');
  const { spatialPlots } = await import('../stats/plots.ts');
  const { reportHtml } = await import('../stats/report-html.ts');
  try {
    const { storage, ...which } = req;
    // The dashboard's storage is kept open across requests; computeRoundStats leaves it open.
    const stats = await computeRoundStats({ root: storage.url, storage, ...which });
    const html = reportHtml(stats, await spatialPlots(stats.spatial));
    return { status: 200, html: html.replace(/<body([^>]*)>/, (m) => `${m}${NAV}`) };
  } catch (e) {
    const bad = e instanceof StatsInputError;
    return page(
      bad ? 404 : 500,
      bad ? 'No report for this round' : 'Stats failed',
      `<p>${esc((e as Error).message)}</p>`,
    );
  }
}

/** Query parameters are user input: a round is a whole number, anything else is a 400 naming it. */
export function parseRoundParam(name: string, v: unknown): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v))
    throw new StatsInputError(`dashboard: ${name} must be a whole number >= 0, got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * A collection is one folder name under the storage root (the rule of schemas/round-plan.ts), so a
 * query parameter cannot point the report at a folder elsewhere on the machine.
 */
export function parseCollectionParam(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(v) || v === '.' || v === '..') {
    throw new StatsInputError(
      `dashboard: collection must be a collection name under the storage root (letters, digits, "_", "." or "-"), got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export const errorPage = (e: Error): Page => page(400, 'Bad request', `<p>${esc(e.message)}</p>`);

/**
 * A table as data (title, headers, cells already formatted) so the terminal printer and the HTML
 * report show the same content. Text columns align left, number columns right.
 */
export interface Table {
  title: string;
  headers: string[];
  /** Per column: true when it holds numbers (right-aligned). */
  numeric: boolean[];
  rows: string[][];
  /** A line under the table (definitions, caveats). */
  note?: string;
}

export const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : String(n));
export const fmtAvg = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : n.toFixed(2));
export const fmtPct = (n: number | null | undefined): string =>
  n === null || n === undefined ? '-' : `${(n * 100).toFixed(1)}%`;
export const fmtDelta = (n: number): string => (n > 0 ? `+${n}` : String(n));

// Code points, not UTF-16 units, so a source name with an emoji or accent does not shift columns;
// wide (CJK) characters still would, and no names here use them.
const width = (s: string): number => [...s].length;

export function printTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(width(h), ...t.rows.map((r) => width(r[i] ?? ''))));
  const cell = (s: string, i: number) => {
    const pad = ' '.repeat(widths[i] - width(s));
    return t.numeric[i] ? pad + s : s + pad;
  };
  const line = (cells: string[]) => cells.map(cell).join('  ').trimEnd();
  const out = [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  if (t.rows.length === 0) out.push('(none)');
  if (t.note) out.push(t.note);
  return out.join('\n');
}

import { z } from 'zod';
import { ExistingBox, ExistingText } from '../../schemas/records.ts';
import type { PathResolver } from './paths.ts';
import { problem, type ProblemReason, type SourceEntry, type SourceItem, type SourceProblem } from './types.ts';

/**
 * One manifest row (a JSONL object, a CSV record, a Parquet row) -> an item or a problem. Shared by
 * the three manifest readers so they accept the same fields:
 *   uri (required)        path relative to the manifest's folder, file://, s3:// or http(s)://
 *   alt_text | caption    alt-text (caption is the img2dataset / LAION name for it)
 *   boxes                 [{box: [x0, y0, x1, y1], category}] (a JSON string in CSV)
 *   texts                 [{granularity: brief|detailed|more_detailed, text}] (a JSON string in CSV)
 *   width, height         positive integers, when the manifest knows them
 * A row whose annotations do not validate is a problem as a whole: half an image's human boxes
 * would read as "these are all the objects", which is worse than asking for the line to be fixed.
 */

const Boxes = z.array(
  ExistingBox.refine(({ box: [x0, y0, x1, y1] }) => x1 > x0 && y1 > y0, 'box must have x1 > x0 and y1 > y0'),
);
const Texts = z.array(ExistingText);

export interface RowContext {
  source: string;
  where: string;
  line: number;
  paths: PathResolver;
}

export function manifestRow(row: Record<string, unknown>, ctx: RowContext): SourceEntry {
  const ref = row.uri;
  if (ref === undefined || ref === null || ref === '') return rowProblem(ctx, 'missing_uri', 'no "uri" value');
  if (typeof ref !== 'string') return rowProblem(ctx, 'malformed', `"uri" must be a string, got ${preview(ref)}`);
  const resolved = ctx.paths.resolve(ref);
  if (!resolved.ok) return rowProblem(ctx, resolved.reason, resolved.detail, ref);
  const item: SourceItem = { kind: 'item', uri: resolved.uri, where: ctx.where, line: ctx.line };

  const alt = row.alt_text ?? row.caption;
  if (alt !== undefined && alt !== null) {
    if (typeof alt !== 'string')
      return rowProblem(ctx, 'malformed', `"alt_text" must be a string, got ${preview(alt)}`, ref);
    if (alt !== '') item.alt_text = alt;
  }
  // each field read by name, not in a loop over key names: keyed loads cost more than the rest of the row
  return (
    annotation(item, 'boxes', row.boxes, ctx, ref) ??
    annotation(item, 'texts', row.texts, ctx, ref) ??
    size(item, 'width', row.width, ctx, ref) ??
    size(item, 'height', row.height, ctx, ref) ??
    item
  );
}

/** `v` (a manifest's `boxes` or `texts`, or its JSON string) validated onto `item`; a problem if it is not valid. */
function annotation(
  item: SourceItem,
  key: 'boxes' | 'texts',
  v: unknown,
  ctx: RowContext,
  ref: string,
): SourceProblem | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return rowProblem(ctx, 'malformed', `"${key}" is not valid JSON: ${preview(v)}`, ref);
    }
  }
  const r = (key === 'boxes' ? Boxes : Texts).safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return rowProblem(
      ctx,
      'bad_annotation',
      `"${key}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}" ${i.message}`,
      ref,
    );
  }
  if (key === 'boxes') item.existing_boxes = r.data as SourceItem['existing_boxes'];
  else item.existing_texts = r.data as SourceItem['existing_texts'];
  return undefined;
}

/** `v` (a manifest's `width` or `height`) onto `item` as a positive integer; a problem if it is not one. */
function size(
  item: SourceItem,
  key: 'width' | 'height',
  v: unknown,
  ctx: RowContext,
  ref: string,
): SourceProblem | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    return rowProblem(ctx, 'malformed', `"${key}" must be a positive integer, got ${preview(v)}`, ref);
  item[key] = n;
  return undefined;
}

function rowProblem(ctx: RowContext, reason: ProblemReason, detail: string, uri?: string): SourceProblem {
  return problem(
    ctx.source,
    reason,
    ctx.where,
    detail,
    uri === undefined ? { line: ctx.line } : { line: ctx.line, uri },
  );
}

export function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

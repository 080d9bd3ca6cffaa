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

// hoisted: an array literal in the loop head is a new array per row
const ANNOTATION_KEYS = ['boxes', 'texts'] as const;
const SIZE_KEYS = ['width', 'height'] as const;

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
  for (const key of ANNOTATION_KEYS) {
    let v = row[key];
    if (v === undefined || v === null || v === '') continue;
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
  }
  for (const key of SIZE_KEYS) {
    const v = row[key];
    if (v === undefined || v === null || v === '') continue;
    const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
      return rowProblem(ctx, 'malformed', `"${key}" must be a positive integer, got ${preview(v)}`, ref);
    item[key] = n;
  }
  return item;
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

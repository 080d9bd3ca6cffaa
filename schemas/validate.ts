import type { z } from 'zod';

/** Raised when a record, payload or config does not match its schema; the message names the field and value. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    readonly what: string,
    readonly issues: { path: string; message: string; value: unknown }[],
  ) {
    super(
      `${what}: ` +
        issues.map((i) => `field "${i.path || '(root)'}" ${i.message} (got ${preview(i.value)})`).join('; '),
    );
  }
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k as string];
  }
  return cur;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Parse `value` with `schema`; on failure throw a ValidationError naming `what`, each field and its value. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(
    what,
    r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, value: valueAt(value, i.path) })),
  );
}

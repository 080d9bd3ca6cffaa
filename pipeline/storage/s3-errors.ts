/**
 * Turns an SDK (or Node socket) error into words fit for a message and a log: the error's name or
 * code, HTTP status, a cleaned message and the attempts made. Credentials never come through: the
 * raw error is not kept (S3 error bodies can carry the access key id as a field), known secrets
 * are replaced, and anything shaped like an AWS key id or a SigV4 Credential= scope is masked.
 */
export interface S3ErrorWords {
  text: string;
  notFound: boolean;
  retryable: boolean;
  attempts?: number;
}

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export function redact(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const x of secrets) out = out.split(x).join('[redacted]');
  return out
    .replace(/\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, '[redacted]')
    .replace(/Credential=[^,\s]+/g, 'Credential=[redacted]')
    .replace(/Signature=[0-9a-f]+/g, 'Signature=[redacted]');
}

export function describeS3Error(e: unknown, secrets: readonly string[]): S3ErrorWords {
  const err = (e ?? {}) as SdkLikeError;
  const status = err.$metadata?.httpStatusCode;
  const name =
    [err.name && err.name !== 'Error' ? err.name : undefined, err.code !== err.name ? err.code : undefined]
      .filter(Boolean)
      .join(' ') || 'Error';
  // Node's happy-eyeballs connect gives an AggregateError with an empty message: use its parts.
  let message = err.message || '';
  if (!message && Array.isArray(err.errors))
    message = err.errors
      .map((x) => (x as Error)?.message)
      .filter(Boolean)
      .join('; ');
  const notFound = status === 404 && ['NoSuchKey', 'NotFound', 'Error', 'UnknownError'].includes(err.name ?? 'Error');
  const retryable = status === undefined || status === 429 || status >= 500 || err.name === 'TimeoutError';
  const text = redact(`${name}${status ? ` (HTTP ${status})` : ''}: ${message || 'no message'}`, secrets);
  return { text, notFound, retryable, attempts: err.$metadata?.attempts };
}

import { pino, type Logger } from 'pino';

/**
 * Structured logs (pino). Secrets never reach a log line: known secret fields are redacted, and
 * URLs with credentials (redis://user:pass@host, rediss://...) are masked wherever they appear.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  'accessKeyId',
  '*.accessKeyId',
  'sessionToken',
  '*.sessionToken',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
];

export function maskSecrets(s: string): string {
  return s
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@/\s]+)@/gi, '$1$2:***@')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '***');
}

export function createLogger(
  opts: { name?: string; level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      name: opts.name ?? 'fld',
      level: opts.level ?? process.env.FLD_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '***' },
      formatters: { log: (obj) => JSON.parse(maskSecrets(JSON.stringify(obj))) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}

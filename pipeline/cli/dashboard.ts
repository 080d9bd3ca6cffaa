import { InvalidArgumentError, type Command } from 'commander';

const wholeNumber =
  (what: string, max = Infinity) =>
  (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > max)
      throw new InvalidArgumentError(`${what} is a whole number${max < Infinity ? ` <= ${max}` : ''}, got "${v}"`);
    return Number(v);
  };

interface Opts {
  port: number;
  host: string;
  root?: string;
  collection?: string;
  round?: number;
  queuePrefix?: string;
  config?: string;
  allowActions: boolean;
  allowHost: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('serve the BullMQ queues (bull-board) and the stats report of the rounds on a local port')
    .option('--port <P>', 'port to listen on (0 picks a free one)', wholeNumber('a port', 65535), 3000)
    .option(
      '--host <addr>',
      'address to bind; beyond loopback every request needs a token (config dashboardToken / $FLD_DASHBOARD_TOKEN, else one is generated and printed)',
      '127.0.0.1',
    )
    .option(
      '--allow-host <name>',
      'a further host name requests may carry (a DNS name, a proxy); repeatable',
      collect,
      [],
    )
    .option(
      '--allow-actions',
      "turn on the board's write actions (retry, add, pause, clean, delete jobs); off by default",
      false,
    )
    .option(
      '--root <dir|url>',
      'storage root of the rounds and stats pages: a folder, file:// or s3:// URL (default: the config storage, $FLD_STORAGE)',
    )
    .option('--collection <name>', 'collection of the stats page (default: the only one with the round)')
    .option('--round <R>', 'round the stats page shows (default: a list of the rounds)', wholeNumber('a round'))
    .option('--queue-prefix <tag>', 'queue hash tag (default: the config queuePrefix, {fld})')
    .option('--config <file>', 'config file (default: fld.config.json/.yaml in the current folder)')
    .action(async (opts: Opts) => {
      // Loaded here: every `fld` command registers this one and should not pay for pino, bullmq or hono.
      const { maskSecrets } = await import('../log.ts');
      const { loadConfig } = await import('../config/load-config.ts');
      const { EngineConfig } = await import('../../schemas/config.ts');
      const { validate } = await import('../../schemas/validate.ts');
      const config = await loadConfig(opts.config);
      const queuePrefix =
        opts.queuePrefix === undefined
          ? config.queuePrefix
          : validate(EngineConfig.shape.queuePrefix, opts.queuePrefix, 'dashboard --queue-prefix');
      const { openStorage } = await import('../storage/open-storage.ts');
      const storage = openStorage(opts.root ?? config.storage);
      const { startDashboard } = await import('../dashboard/server.ts');
      const { isLoopback, newToken } = await import('../dashboard/guard.ts');
      const given = config.dashboardToken;
      const token = given ?? (isLoopback(opts.host) ? null : newToken());
      const dash = await startDashboard({
        redisUrl: config.redis,
        redisCa: config.redisCa,
        queuePrefix,
        storage,
        host: opts.host,
        port: opts.port,
        collection: opts.collection,
        round: opts.round,
        token,
        allowActions: opts.allowActions,
        allowHosts: opts.allowHost,
      }).catch(async (e: Error) => {
        await storage.close();
        throw e;
      });
      process.stdout.write(
        `fld dashboard: ${dash.url}\n  queues ${queuePrefix} on ${maskSecrets(config.redis)}: ${dash.url}queues` +
          ` (${opts.allowActions ? 'write actions on' : 'read-only; --allow-actions turns on retry, add, pause, clean and delete'})\n` +
          `  stats of ${storage.url}: ${dash.url}stats\n`,
      );
      if (token && !given)
        process.stdout.write(
          `  token (generated; set dashboardToken in the config or FLD_DASHBOARD_TOKEN to choose one): ${token}\n  open once: ${dash.url}?token=${token}\n`,
        );
      else if (token)
        process.stdout.write(
          '  token: from the config (dashboardToken / FLD_DASHBOARD_TOKEN; open the URL with ?token=<it> once, or send Authorization: Bearer <it>)\n',
        );
      process.stdout.write('  Ctrl-C stops it.\n');
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stdout.write(`fld dashboard: ${sig}, closing\n`);
          dash
            .close()
            .catch((e: Error) => process.stderr.write(`fld dashboard: close: ${e.message}\n`))
            .then(() => storage.close())
            .then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

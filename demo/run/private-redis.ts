import { spawn, type ChildProcess } from 'node:child_process';
import { redisServerCommand } from './redis-server-bin.ts';
import { createServer } from 'node:net';
import { connectRedis } from '../../pipeline/engine/redis.ts';

export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  /** Shuts the server down (SIGTERM, then SIGKILL after a grace period) and waits until it has exited. */
  stop(): Promise<void>;
}

export class PrivateRedisError extends Error {
  override name = 'PrivateRedisError';
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it; redis-server may still lose a race, so callers retry). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (exited(child)) return;
  const closed = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => !exited(child) && child.kill('SIGKILL'), graceMs);
  await closed;
  clearTimeout(timer);
}

/**
 * A throw-away `redis-server` for one run (the demo on a machine without a Redis): loopback only, a
 * free port, no RDB or AOF files, so it leaves nothing behind once stopped. Resolves when it answers
 * PING; a missing binary or a server that exits at start is one clear error with its last output.
 */
export async function startPrivateRedis(
  opts: { bin?: string; startTimeoutMs?: number; tries?: number } = {},
): Promise<PrivateRedis> {
  const found = opts.bin ? { command: opts.bin } : (redisServerCommand() ?? { command: 'redis-server' });
  const tries = opts.tries ?? 3;
  let last: Error | null = null;
  for (let t = 0; t < tries; t++) {
    const port = await freeLoopbackPort();
    // "--save ''" and "--appendonly no": nothing is written to disk; the data dies with the process.
    const child = spawn(
      found.command,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(found.argv0 ? { argv0: found.argv0 } : {}) },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output = (output + d).slice(-2000)));
    child.stderr!.on('data', (d) => (output = (output + d).slice(-2000)));
    let spawnFailed: Error | null = null;
    const spawnError = new Promise<Error>((r) => child.once('error', (e) => r((spawnFailed = e))));
    const exit = new Promise<string>((r) => child.once('exit', (code, sig) => r(`exited with ${code ?? sig}`)));
    const url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
    const ready = (async () => {
      for (;;) {
        try {
          (await connectRedis(url, 500)).disconnect();
          return 'ready';
        } catch {
          if (exited(child) || spawnFailed) return 'gone';
          if (Date.now() > deadline) return 'timeout';
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    let outcome: string | Error = await Promise.race([ready, exit, spawnError]);
    await new Promise((r) => setImmediate(r));
    if (spawnFailed) outcome = spawnFailed;
    if (outcome instanceof Error) {
      const code = (outcome as NodeJS.ErrnoException).code;
      throw new PrivateRedisError(
        code === 'ENOENT'
          ? `${found.command} is not on the PATH (install redis-tools, e.g. apt-get install redis-tools, or point REDIS_URL at a Redis)`
          : `cannot start ${found.command}: ${outcome.message}`,
      );
    }
    if (outcome === 'ready') {
      return { url, port, pid: child.pid!, stop: () => stopChild(child, 5000) };
    }
    await stopChild(child, 1000);
    const why =
      outcome === 'timeout' ? 'did not answer PING in time' : `exited with ${child.exitCode ?? child.signalCode}`;
    last = new PrivateRedisError(
      `${found.command} on 127.0.0.1:${port} ${why}: ${output.trim().split('\n').slice(-3).join(' | ') || '(no output)'}`,
    );
  }
  throw last!;
}

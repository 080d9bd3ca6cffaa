import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { redisServerCommand } from '../../../demo/run/redis-server-bin.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Redis servers for connection tests, each on free loopback ports in its own temp folder,
 * started as child processes (not daemonized) and stopped by pid: a password-protected one, a
 * TLS one with a CA and server certificate made here by openssl, and a 3-node Redis Cluster.
 */
const run = promisify(execFile);

async function isFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if (!taken.has(p) && (await isFree(p)) && (await isFree(p + 10000))) return (taken.add(p), p);
  }
}

export interface RedisServers {
  dir: string;
  stop(): Promise<void>;
}

async function startServer(dir: string, args: string[], procs: ChildProcess[]): Promise<void> {
  const bin = redisServerCommand() ?? { command: 'redis-server' };
  const child = spawn(bin.command, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(bin.argv0 ? { argv0: bin.argv0 } : {}),
  });
  procs.push(child);
  let out = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`redis-server ${args.join(' ')} not ready after 10 s:\n${out}`)),
      10_000,
    );
    const look = (d: Buffer) => {
      out += d;
      if (out.includes('Ready to accept connections')) clearTimeout(timer), res();
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once(
      'exit',
      (code) => (clearTimeout(timer), rej(new Error(`redis-server ${args.join(' ')} exited ${code}:\n${out}`))),
    );
  });
}

async function servers(
  start: (dir: string, procs: ChildProcess[], ports: Set<number>) => Promise<void>,
): Promise<RedisServers> {
  const dir = await mkdtemp(join(tmpdir(), 'fld-redis-'));
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once('exit', r)))),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await start(dir, procs, new Set());
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, stop };
}

const NO_DISK = ['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--bind', '127.0.0.1'];

export async function startPasswordRedis(password: string): Promise<RedisServers & { port: number }> {
  let port = 0;
  const s = await servers(async (dir, procs, ports) => {
    port = await freePort(ports);
    await startServer(dir, ['--port', String(port), '--requirepass', password, ...NO_DISK], procs);
  });
  return { ...s, port };
}

/** A CA, a server certificate for 127.0.0.1 signed by it, and a TLS-only server. */
export async function startTlsRedis(): Promise<RedisServers & { port: number; ca: string }> {
  let port = 0;
  let ca = '';
  const s = await servers(async (dir, procs, ports) => {
    const f = (n: string) => join(dir, n);
    ca = f('ca.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=fld test CA',
      '-keyout',
      f('ca.key'),
      '-out',
      ca,
    ]);
    await run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      f('server.key'),
      '-out',
      f('server.csr'),
    ]);
    await run('bash', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${f('san.ext')}`]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      ca,
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f('san.ext'),
      '-out',
      f('server.crt'),
    ]);
    port = await freePort(ports);
    await startServer(
      dir,
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        f('server.crt'),
        '--tls-key-file',
        f('server.key'),
        '--tls-ca-cert-file',
        ca,
        '--tls-auth-clients',
        'no',
        ...NO_DISK,
      ],
      procs,
    );
  });
  return { ...s, port, ca };
}

/** Three masters, no replicas, every slot assigned; returns once each node says cluster_state:ok. */
export async function startRedisCluster(): Promise<RedisServers & { ports: number[] }> {
  const ports: number[] = [];
  const s = await servers(async (dir, procs, taken) => {
    for (let i = 0; i < 3; i++) ports.push(await freePort(taken));
    await Promise.all(
      ports.map((p) =>
        startServer(
          dir,
          ['--port', String(p), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${p}.conf`, ...NO_DISK],
          procs,
        ),
      ),
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const until = Date.now() + 20_000;
    for (const p of ports) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(p), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > until) throw new Error(`cluster node ${p} not ok after 20 s:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  return { ...s, ports };
}

/** A private, throwaway Redis (no password, no disk) for tests that flush or stop it. */
export async function startPlainRedis(): Promise<RedisServers & { port: number; url: string }> {
  let port = 0;
  const s = await servers(async (dir, procs, ports) => {
    port = await freePort(ports);
    await startServer(dir, ['--port', String(port), ...NO_DISK], procs);
  });
  return { ...s, port, url: `redis://127.0.0.1:${port}` };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { EngineConfig } from '../../../schemas/config.ts';
import { ROUND_KINDS } from '../../../schemas/records.ts';
import { openEngine, openServices } from '../../../pipeline/engine/open-engine.ts';
import { roundPlanFor, writeImageShards } from '../../../pipeline/engine/enqueue.ts';
import { runRoundLocal } from '../../../pipeline/engine/local-executor.ts';
import { finalizeRound } from '../../../pipeline/engine/round-manifest.ts';
import { detectSource } from '../../../pipeline/sources/detect.ts';
import { roundStatus, type RoundStatus } from '../../../pipeline/engine/status.ts';
import { readShard } from '../../../pipeline/shards/storage-io.ts';
import { createLogger } from '../../../pipeline/log.ts';
import type { Storage } from '../../../pipeline/storage/storage.ts';

/**
 * Integration harness for the engine: a demo world made by `fld world generate`, a temp folder per
 * test with its own config, a fresh queue prefix (hash tag) per test whose keys are deleted after,
 * `fld` child processes (workers, enqueue) tracked by pid and stopped by pid.
 */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FLD = join(repo, 'bin/fld.js');
export const REDIS = 'redis://127.0.0.1:6379';
export const quiet = createLogger({ level: 'silent' });

export interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function fld(
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [FLD, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, FLD_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function makeWorld(
  images: number,
  seed: number,
  extra: string[] = [],
): Promise<{ dir: string; manifest: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fld-engine-world-'));
  const r = await fld(
    ['world', 'generate', '--out', dir, '--images', String(images), '--seed', String(seed), '--workers', '1', ...extra],
    { cwd: dir },
  ).done;
  if (r.code !== 0) throw new Error(`world generate failed: ${r.stderr}`);
  return { dir, manifest: join(dir, 'collection', 'manifest.jsonl') };
}

let n = 0;
export interface Env {
  dir: string;
  prefix: string;
  config: EngineConfig;
  configFile: string;
  workers: ChildProcess[];
  startWorker(queues: string, extra?: string[]): ChildProcess;
  waitFinished(collection: string, round?: number, timeoutMs?: number): Promise<RoundStatus>;
  status(collection: string, round?: number): Promise<RoundStatus>;
  jobCounts(queue: string): Promise<Record<string, number>>;
  /** Jobs now active on a queue, with the worker that took each (`host:pid`, see workers/worker-process.ts). */
  activeJobs(queue: string): Promise<{ id: string; processedBy: string | undefined }[]>;
  jobState(queue: string, id: string): Promise<string>;
  /** Raw BullMQ job fields (e.g. stalledCounter), or null when the job is gone. */
  jobField(queue: string, id: string, field: string): Promise<string | null>;
  close(): Promise<void>;
}

export async function makeEnv(cfg: Record<string, unknown>): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'fld-engine-'));
  const prefix = `{fldtest-${process.pid}-${Date.now()}-${n++}}`;
  const raw = { storage: join(dir, 'data'), queuePrefix: prefix, redis: REDIS, ...cfg };
  const config = EngineConfig.parse(raw);
  const configFile = join(dir, 'fld.config.json');
  await writeFile(configFile, JSON.stringify(raw));
  const workers: ChildProcess[] = [];
  const engine = await openEngine(config, { log: quiet });
  const env: Env = {
    dir,
    prefix,
    config,
    configFile,
    workers,
    startWorker(queues, extra = []) {
      const w = fld(['worker', '--queues', queues, '--config', configFile, ...extra], { cwd: dir });
      workers.push(w.child);
      return w.child;
    },
    status: (collection, round = 0) => roundStatus(engine.q, { collection, round }),
    activeJobs: async (queue) =>
      (await engine.q.queue(queue).getActive()).map((j) => ({ id: j.id!, processedBy: j.processedBy })),
    jobState: (queue, id) => engine.q.queue(queue).getJobState(id),
    jobField: (queue, id, field) => engine.q.redis.hget(`${prefix}:${queue}:${id}`, field),
    jobCounts: (queue) =>
      engine.q.queue(queue).getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'waiting-children'),
    async waitFinished(collection, round = 0, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = await roundStatus(engine.q, { collection, round }).catch(() => null);
        if (s?.finished) return s;
        if (Date.now() > until)
          throw new Error(`round ${round} of ${collection} not finished after ${timeoutMs} ms: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async close() {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      await Promise.all(
        workers.map((w) =>
          w.exitCode !== null || w.signalCode !== null ? null : new Promise((r) => w.once('close', r)),
        ),
      );
      await engine.close();
      const redis = new Redis(REDIS);
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Each kind shard of the round (key below the round) -> sha256 of its rows as sorted JSON lines. */
export async function roundShardHashes(
  storage: Storage,
  collection: string,
  round: number,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of ROUND_KINDS) {
    for await (const key of storage.list(`${collection}/round-${round}/${kind}/`)) {
      const rows = (await readShard(storage, key, kind)).rows.map((r) => JSON.stringify(r)).sort();
      out[key.slice(`${collection}/round-${round}/`.length)] = createHash('sha256')
        .update(rows.join('\n'))
        .digest('hex');
    }
  }
  return out;
}

/**
 * The undisturbed reference: the round's stages on the same manifest in this process (the in-process
 * executor), into a storage folder of its own; returns its shard hashes (roundShardHashes).
 */
export async function undisturbedHashes(
  config: EngineConfig,
  manifest: string,
  collection: string,
  storageDir: string,
): Promise<Record<string, string>> {
  const local = openServices(EngineConfig.parse({ ...config, storage: storageDir }), { log: quiet });
  try {
    const plan = await roundPlanFor(local.storage, collection, 0, config);
    const written = await writeImageShards(local.storage, detectSource(manifest), {
      collection,
      shardSize: config.shardSize,
      readSize: true,
    });
    await runRoundLocal(plan, written.shards, local);
    await finalizeRound(local.storage, plan, new Set());
    return await roundShardHashes(local.storage, collection, 0);
  } finally {
    await local.close();
  }
}

/** Every row of the round's kind shards, as sorted JSON lines per kind (the comparable row set). */
export async function roundRows(
  storage: Storage,
  collection: string,
  round: number,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const kind of ROUND_KINDS) {
    const rows: string[] = [];
    for await (const key of storage.list(`${collection}/round-${round}/${kind}/`))
      rows.push(...(await readShard(storage, key, kind)).rows.map((r) => JSON.stringify(r)));
    out[kind] = rows.sort();
  }
  return out;
}

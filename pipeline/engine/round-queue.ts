import { FlowProducer, Queue } from 'bullmq';
import { jobId } from '../../schemas/jobs.ts';
import { RoundPlan } from '../../schemas/round-plan.ts';
import { validate } from '../../schemas/validate.ts';
import { layout } from '../layout.ts';
import type { Storage } from '../storage/storage.ts';
import { shardFlow } from './flows.ts';
import { ALL_QUEUES, MERGE_QUEUE, roundGraph, type StageNode } from './stages.ts';
import { EVENTS_MAX_LEN } from './policy.ts';
import type { RedisConn } from './redis.ts';

/**
 * A round's queue state in Redis, beside BullMQ's own keys and under the same hash tag:
 *
 * | key | what |
 * |---|---|
 * | `<prefix>:engine:rounds` | set of `collection/round` known to this Redis |
 * | `...:<c>:<r>:meta` | hash: `plan` (JSON), `planned` (total shards, once every shard is registered) |
 * | `...:<c>:<r>:known` | set of shards ever registered (enqueue twice adds nothing) |
 * | `...:<c>:<r>:todo` | list of registered shards not yet added as flows |
 * | `...:<c>:<r>:inflight` | set of shards whose flow is in BullMQ (at most `window`) |
 * | `...:<c>:<r>:failed` | set of shards whose flow failed for good |
 * | `...:<c>:<r>:errors` | list of the last job failures (JSON), capped |
 *
 * The window is kept by `topUp`, which anyone may call at any time (enqueue, each finished merge,
 * each shard that fails for good, `fld retry`): it first reconciles the in-flight set with storage
 * and BullMQ (a shard whose merge marker exists is done; one whose flow is gone is added again, which
 * covers a claimer that crashed between claim and add), then claims shards from `todo` atomically
 * and adds their flows. Storage's done markers, not Redis, say what is done.
 *
 * Only this class builds these keys or calls Redis for a round's state; the rest of the engine asks it
 * by what it means (`state`, `settledFailures`, `requeueFailed`...). It holds no models: the stages it
 * knows are the round's graph (names, queues, needs), enough to add flows.
 */

const LAST_ERRORS = 20;

// Claims one shard from todo into inflight if the window has room (atomic: several callers may top up at once).
const CLAIM = `
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[1]) then return false end
local s = redis.call('LPOP', KEYS[1])
if not s then return false end
redis.call('SADD', KEYS[2], s)
return s`;

// Registers a shard once: only a shard never seen goes to todo.
const REGISTER = `
local n = 0
for i, s in ipairs(ARGV) do
  if redis.call('SADD', KEYS[1], s) == 1 then redis.call('RPUSH', KEYS[2], s); n = n + 1 end
end
return n`;

export interface RoundKey {
  collection: string;
  round: number;
}

/** A job failure as `fld status` shows it (the last `LAST_ERRORS` of a round). */
export interface RoundError {
  shard: number;
  stage: string;
  message: string;
  at: string;
}

/** A round's shards as Redis holds them. */
export interface RoundState {
  /** Registered shards waiting for the window. */
  pending: number;
  /** Shards whose flow is in BullMQ. */
  inflight: number[];
  /** Shards whose flow failed for good. */
  failed: number[];
  /** The last job failures, newest first. */
  lastErrors: RoundError[];
}

export class RoundQueue {
  readonly flows: FlowProducer;
  readonly #queues = new Map<string, Queue>();
  readonly #plans = new Map<string, RoundPlan>();
  readonly #planRaw = new Map<string, string>();
  readonly #stages = new Map<string, StageNode[]>();

  constructor(
    readonly redis: RedisConn,
    readonly prefix: string,
    /** Where the done markers are: they, not Redis, say which shards are done. */
    readonly storage: Storage,
  ) {
    this.flows = new FlowProducer({ connection: redis, prefix });
  }

  #key(k: RoundKey, what: string): string {
    return `${this.prefix}:engine:${k.collection}:${k.round}:${what}`;
  }

  get #roundsKey(): string {
    return `${this.prefix}:engine:rounds`;
  }

  /** A Queue handle (created once; creating it also records the capped events stream length in the queue's meta). */
  queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q)
      this.#queues.set(
        name,
        (q = new Queue(name, {
          connection: this.redis,
          prefix: this.prefix,
          streams: { events: { maxLen: EVENTS_MAX_LEN } },
        })),
      );
    return q;
  }

  /** Creates every queue of the engine, so each queue's events stream is capped before any job is added. */
  async ensureQueues(): Promise<void> {
    await Promise.all(ALL_QUEUES.map((n) => this.queue(n).waitUntilReady()));
  }

  /**
   * Records the round's plan in Redis unless one is there already; returns the plan in force (the
   * first one: a round's stages do not change halfway).
   */
  async registerRound(plan: RoundPlan): Promise<RoundPlan> {
    const k = { collection: plan.collection, round: plan.round };
    await this.redis.hsetnx(this.#key(k, 'meta'), 'plan', JSON.stringify(plan));
    await this.redis.sadd(this.#roundsKey, `${plan.collection}/${plan.round}`);
    this.#plans.delete(`${k.collection}/${k.round}`);
    return this.plan(k);
  }

  /**
   * The plan in force, read from Redis on every call (one HGET): `fld enqueue --replan` may replace a
   * round's plan while workers hold it, and a worker must then build its stages from the new one.
   */
  async plan(k: RoundKey): Promise<RoundPlan> {
    const id = `${k.collection}/${k.round}`;
    const raw = await this.redis.hget(this.#key(k, 'meta'), 'plan');
    if (!raw)
      throw new Error(
        `round ${k.round} of collection ${k.collection} is not registered in this Redis (run fld enqueue, or fld enqueue --resume after a Redis loss)`,
      );
    const cached = this.#plans.get(id);
    if (cached && this.#planRaw.get(id) === raw) return cached;
    const p = validate(RoundPlan, JSON.parse(raw), `round plan of ${id} in Redis`);
    this.#plans.set(id, p);
    this.#planRaw.set(id, raw);
    this.#stages.delete(id);
    return p;
  }

  /** Whether the round is registered in this Redis (it has a plan here). */
  async isRegistered(k: RoundKey): Promise<boolean> {
    return (await this.redis.hexists(this.#key(k, 'meta'), 'plan')) === 1;
  }

  /** Shards of the round waiting for the window or with a flow in BullMQ (not done, not failed for good). */
  async shardsInFlight(k: RoundKey): Promise<number[]> {
    const [todo, inflight] = await Promise.all([
      this.redis.lrange(this.#key(k, 'todo'), 0, -1),
      this.redis.smembers(this.#key(k, 'inflight')),
    ]);
    return [...new Set([...todo, ...inflight].map(Number))].sort((a, b) => a - b);
  }

  /** Replaces a registered round's plan in Redis (`fld enqueue --replan`; the caller checked that nothing of the round is in flight). */
  async replacePlan(plan: RoundPlan): Promise<void> {
    await this.redis.hset(
      this.#key({ collection: plan.collection, round: plan.round }, 'meta'),
      'plan',
      JSON.stringify(plan),
    );
  }

  /** The round's stage graph under the plan in force (names, queues, needs; runnable stages are round-stages.ts's). */
  async stages(k: RoundKey): Promise<StageNode[]> {
    const id = `${k.collection}/${k.round}`;
    const plan = await this.plan(k);
    let s = this.#stages.get(id);
    if (!s) this.#stages.set(id, (s = roundGraph(plan)));
    return s;
  }

  /** Adds shards to the round (each once, ever); returns how many were new. */
  async registerShards(k: RoundKey, shards: readonly number[]): Promise<number> {
    if (!shards.length) return 0;
    return (await this.redis.eval(
      REGISTER,
      2,
      this.#key(k, 'known'),
      this.#key(k, 'todo'),
      ...shards.map(String),
    )) as number;
  }

  async markPlanned(k: RoundKey, total: number): Promise<void> {
    await this.redis.hset(this.#key(k, 'meta'), 'planned', String(total));
  }

  async addFlow(k: RoundKey, shard: number): Promise<void> {
    const plan = await this.plan(k);
    await this.flows.add(
      shardFlow(await this.stages(k), { collection: k.collection, round: k.round, shard }, this.prefix, plan.jobs),
    );
  }

  mergeJobId(k: RoundKey, shard: number): string {
    return jobId({ collection: k.collection, round: k.round, shard, stage: 'merge' });
  }

  /**
   * Reconciles the in-flight set, then fills the window from todo. Returns the shards it added.
   * `reconcile: false` only fills: enqueue tops up after every shard it registers, and reconciling
   * each time costs storage and BullMQ calls per shard in flight, O(window) per registered shard
   * (planning 1M images at window 1000 ran at 7,800 images/s); enqueue reconciles once at the end.
   */
  async topUp(k: RoundKey, opts: { reconcile?: boolean } = {}): Promise<number[]> {
    const plan = await this.plan(k);
    const added: number[] = [];
    for (const s of opts.reconcile === false ? [] : (await this.redis.smembers(this.#key(k, 'inflight'))).map(Number)) {
      if (await this.storage.exists(layout.done(k.collection, k.round, 'merge', s))) {
        await this.redis.srem(this.#key(k, 'inflight'), String(s));
        continue;
      }
      const state = await this.queue(MERGE_QUEUE).getJobState(this.mergeJobId(k, s));
      if (state === 'failed') await this.markFailed(k, s, null);
      else if (state === 'unknown') await this.addFlow(k, s);
    }
    for (;;) {
      const claimed = (await this.redis.eval(
        CLAIM,
        2,
        this.#key(k, 'todo'),
        this.#key(k, 'inflight'),
        String(plan.window),
      )) as string | null;
      if (claimed === null) break;
      const s = Number(claimed);
      if (await this.storage.exists(layout.done(k.collection, k.round, 'merge', s))) {
        await this.redis.srem(this.#key(k, 'inflight'), claimed);
        continue;
      }
      await this.addFlow(k, s);
      added.push(s);
    }
    return added;
  }

  /** A shard's flow failed for good: out of the window (so it does not block it), into the failed set, reason kept. */
  async markFailed(k: RoundKey, shard: number, failure: { stage: string; message: string } | null): Promise<void> {
    await this.redis
      .multi()
      .srem(this.#key(k, 'inflight'), String(shard))
      .sadd(this.#key(k, 'failed'), String(shard))
      .exec();
    if (failure) await this.recordError(k, { shard, ...failure });
  }

  async recordError(k: RoundKey, e: { shard: number; stage: string; message: string }): Promise<void> {
    const entry = JSON.stringify({ ...e, message: e.message.slice(0, 500), at: new Date().toISOString() });
    await this.redis
      .multi()
      .lpush(this.#key(k, 'errors'), entry)
      .ltrim(this.#key(k, 'errors'), 0, LAST_ERRORS - 1)
      .exec();
  }

  /** The round's shards as Redis holds them, read at once (`fld status` reads them before the done markers). */
  async state(k: RoundKey): Promise<RoundState> {
    const [pending, inflight, failed, errors] = await Promise.all([
      this.redis.llen(this.#key(k, 'todo')),
      this.redis.smembers(this.#key(k, 'inflight')),
      this.redis.smembers(this.#key(k, 'failed')),
      this.redis.lrange(this.#key(k, 'errors'), 0, -1),
    ]);
    return {
      pending,
      inflight: inflight.map(Number),
      failed: failed.map(Number),
      lastErrors: errors.map((e) => JSON.parse(e) as RoundError),
    };
  }

  /** Whether any shard of the round is waiting for the window or in flight. */
  async hasWork(k: RoundKey): Promise<boolean> {
    const [todo, inflight] = await Promise.all([
      this.redis.llen(this.#key(k, 'todo')),
      this.redis.scard(this.#key(k, 'inflight')),
    ]);
    return todo > 0 || inflight > 0;
  }

  /**
   * The shards that failed for good once the round has settled (every shard registered, none waiting
   * or in flight); null while it has not.
   */
  async settledFailures(k: RoundKey): Promise<number[] | null> {
    const [todo, inflight, planned, failed] = await Promise.all([
      this.redis.llen(this.#key(k, 'todo')),
      this.redis.scard(this.#key(k, 'inflight')),
      this.redis.hget(this.#key(k, 'meta'), 'planned'),
      this.redis.smembers(this.#key(k, 'failed')),
    ]);
    if (todo || inflight || planned === null) return null;
    return failed.map(Number);
  }

  /** Shards whose flow failed for good, in order. */
  async failedShards(k: RoundKey): Promise<number[]> {
    return (await this.redis.smembers(this.#key(k, 'failed'))).map(Number).sort((a, b) => a - b);
  }

  /** A failed shard back to the front of todo (`fld retry`), to be claimed by the next top-up. */
  async requeueFailed(k: RoundKey, shard: number): Promise<void> {
    await this.redis
      .multi()
      .srem(this.#key(k, 'failed'), String(shard))
      .lpush(this.#key(k, 'todo'), String(shard))
      .exec();
  }

  async rounds(): Promise<RoundKey[]> {
    return (await this.redis.smembers(this.#roundsKey)).sort().map((s) => {
      const i = s.lastIndexOf('/');
      return { collection: s.slice(0, i), round: Number(s.slice(i + 1)) };
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.flows.close(), ...[...this.#queues.values()].map((q) => q.close())]);
  }
}

import { z } from 'zod';
import { VerifiedConfig } from './acceptance.ts';
import { ExportConfig } from './export-config.ts';
import { OrtConfig } from './ort-config.ts';
import { RefineConfig } from './refine-config.ts';

/**
 * The config file (`fld.config.json` or `.yaml`) plus environment. Every field has a documented
 * default, so an empty file is a valid config; unknown keys are refused so that a typo stops the
 * command before any work starts instead of being ignored.
 */
export const EngineConfig = z
  .object({
    /** Where shards live: a folder or `s3://bucket/prefix`. Env: FLD_STORAGE. @default ".fld/data" */
    storage: z.string().min(1).default('.fld/data'),
    /**
     * Env: REDIS_URL. `redis://[user:pass@]host:port[/db]`; `rediss://` for TLS; `redis+cluster://host:port,host:port`
     * (or `rediss+cluster://`) for Redis Cluster. See docs/operations.md. @default "redis://127.0.0.1:6379"
     */
    redis: z
      .string()
      .regex(/^rediss?(\+cluster)?:\/\//, 'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://')
      .default('redis://127.0.0.1:6379'),
    /** PEM file of the CA that signed the Redis server's certificate (rediss:// only); null uses the system CAs. Env: FLD_REDIS_CA. @default null */
    redisCa: z.string().min(1).nullable().default(null),
    /**
     * The secret `fld dashboard` asks for (Bearer header, or `?token=` once, then a cookie); beyond
     * loopback one is generated and printed when none is set. Env: FLD_DASHBOARD_TOKEN. @default null
     */
    dashboardToken: z
      .string()
      .min(16, 'must be at least 16 characters (a guessable token protects nothing)')
      .nullable()
      .default(null),
    /** Hash tag shared by all queues of a flow, so they work on Redis Cluster. @default "{fld}" */
    queuePrefix: z
      .string()
      .regex(/^\{[^{}]+\}$/, 'must be a hash tag such as "{fld}"')
      .default('{fld}'),
    /** Images per shard, fixed at enqueue. @default 1000 */
    shardSize: z.number().int().min(1).max(100_000).default(1000),
    /** Shards in flight per collection and round. @default 8 */
    window: z.number().int().min(1).max(10_000).default(8),
    /** Images per inference mini-batch inside a shard job. @default 8 */
    batchSize: z.number().int().min(1).max(1024).default(8),
    /**
     * Decoded pixels one annotate job holds at once, in MB of RGB (3 bytes a pixel): each mini-batch
     * gets half (the next batch decodes while the model runs), a batch over it is split, and an image
     * over it alone is an error row (pipeline/engine/decode-budget.ts). @default 1024
     */
    decodeBudgetMB: z.number().int().min(16).max(1_048_576).default(1024),
    /** Filter thresholds; validated by the filters' own schema. @default {} */
    filters: z.record(z.string(), z.unknown()).default({}),
    /** Specialist name -> model folder or registry name. @default {} */
    specialists: z.record(z.string(), z.string()).default({}),
    /** Tries per stage job (the first included) and the first retry delay in ms, doubling; see docs/operations.md. @default {attempts: 3, backoffMs: 30000} */
    jobs: z
      .object({
        attempts: z.number().int().min(1).max(100).default(3),
        backoffMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .default({ attempts: 3, backoffMs: 30_000 }),
    /**
     * ORT threads of the specialists' models: intraOpNumThreads, interOpNumThreads, replicas (detector
     * only for now), spinning, and perSpecialist overrides (schemas/ort-config.ts).
     * @default {intraOpNumThreads: 1, interOpNumThreads: 1, replicas: 1, spinning: false, perSpecialist: {}}
     */
    ort: OrtConfig.default(OrtConfig.parse({})),
    /** Training stage command (see docs/training-stage.md); null uses the reference trainer. @default null */
    trainCommand: z.string().nullable().default(null),
    /** Training export: task mix, split fractions, seed, rows per shard (schemas/export-config.ts). @default {} */
    export: ExportConfig.default(ExportConfig.parse({})),
    /** Refinement rounds: the model's tasks, specialists run again, merge policy per kind (schemas/refine-config.ts). @default {} */
    refine: RefineConfig.default(RefineConfig.parse({})),
    /**
     * The verified set: a collection with human-checked labels (its images' existing boxes and texts)
     * on which every round's thresholds are calibrated and its acceptance gates decided
     * (schemas/acceptance.ts). @default {collection: null}
     */
    verified: VerifiedConfig.default(VerifiedConfig.parse({})),
  })
  .strict();
export type EngineConfig = z.infer<typeof EngineConfig>;

/** Environment variables that override config fields (credentials stay in the AWS SDK's own chain). */
export const ENV_OVERRIDES: Record<string, keyof EngineConfig> = {
  FLD_STORAGE: 'storage',
  REDIS_URL: 'redis',
  FLD_REDIS_CA: 'redisCa',
  FLD_DASHBOARD_TOKEN: 'dashboardToken',
};

import { z } from 'zod';

/** Specialists that run an ORT model and so take thread settings (pipeline/engine/adapters.ts). */
export const ORT_SPECIALISTS = ['ocr', 'detector', 'captioner', 'grounding', 'region_caption'] as const;

/** Execution providers the config may name: those onnxruntime-node 1.30 has for Linux (docs/operations.md, GPU inference). */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
/** Providers that take a GPU index. */
const WITH_DEVICE: readonly string[] = ['cuda', 'tensorrt'];
const MAX_DEVICE_ID = 63;

export interface ExecutionProvider {
  name: ExecutionProviderName;
  deviceId?: number;
}

const nameProblem = (v: unknown): string | null =>
  (EXECUTION_PROVIDERS as readonly unknown[]).includes(v)
    ? null
    : `unknown execution provider ${JSON.stringify(v)} (known: ${EXECUTION_PROVIDERS.join(', ')})`;

/**
 * One entry of `executionProviders`: a name (`'cuda'`) or `{ name, deviceId }`, checked by hand so that
 * the message says what is wrong and where (a zod union would only say "Invalid input").
 */
const ExecutionProviderEntry = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v === 'string') {
      const p = nameProblem(v);
      if (p) ctx.addIssue({ code: 'custom', message: p });
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a provider name (${EXECUTION_PROVIDERS.join(', ')}) or { name, deviceId }`,
      });
      return;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (k !== 'name' && k !== 'deviceId') ctx.addIssue({ code: 'custom', path: [k], message: `unknown key "${k}"` });
    const p = nameProblem(o.name);
    if (p) ctx.addIssue({ code: 'custom', path: ['name'], message: p });
    if (o.deviceId === undefined) return;
    if (!WITH_DEVICE.includes(o.name as string))
      ctx.addIssue({
        code: 'custom',
        path: ['deviceId'],
        message: `deviceId applies to ${WITH_DEVICE.join(' and ')} only`,
      });
    else if (!(Number.isInteger(o.deviceId) && (o.deviceId as number) >= 0 && (o.deviceId as number) <= MAX_DEVICE_ID))
      ctx.addIssue({
        code: 'custom',
        path: ['deviceId'],
        message: `must be a GPU index, a whole number from 0 to ${MAX_DEVICE_ID}`,
      });
  })
  .transform((v): ExecutionProvider => {
    if (typeof v === 'string') return { name: v as ExecutionProviderName };
    const { name, deviceId } = v as ExecutionProvider;
    return deviceId === undefined ? { name } : { name, deviceId };
  });

const threadFields = {
  /** ORT intra-op threads per session; 0 lets ORT choose (all cores, wrong when workers share a machine). */
  intraOpNumThreads: z.number().int().min(0).max(1024),
  /** ORT inter-op threads per session (> 1 runs independent graph branches in parallel). */
  interOpNumThreads: z.number().int().min(0).max(1024),
  /** Sessions of the model, a batch split among them; applies to the detector only for now. */
  replicas: z.number().int().min(1).max(64),
  /** ORT intra-op threads spin-wait between ops (ORT's own default; ours is off, see specialists/ort-options.ts). */
  spinning: z.boolean(),
  /**
   * Where the model runs, in ORT's order of preference (`[{ name: 'cuda', deviceId: 0 }, 'cpu']`); a
   * node the first cannot run goes to the next. Absent: CPU only.
   */
  executionProviders: z.array(ExecutionProviderEntry).min(1).max(8),
  /**
   * A GPU provider that is missing or fails to start: true creates the session on CPU and records the
   * fallback (`fld status`); false (absent) refuses to load the model, with one line naming it and the provider.
   */
  cpuFallback: z.boolean(),
};

/**
 * ORT thread and execution-provider settings of the specialists' models (`ort` in the config file). The top-level fields
 * apply to every specialist; `perSpecialist` overrides some of them for one. On CPU a batch saves a
 * conv net no work per image; what it offers is independent images, which detector replicas (each its
 * own session and worker thread) run on separate cores (docs/decisions.md, batching section).
 */
export const OrtConfig = z
  .object({
    /** @default 1 */
    intraOpNumThreads: threadFields.intraOpNumThreads.default(1),
    /** @default 1 */
    interOpNumThreads: threadFields.interOpNumThreads.default(1),
    /** A YOLO detector only for now (others, a Florence-2 folder in the detector slot included, ignore it); each replica holds its own copy of the weights. @default 1 */
    replicas: threadFields.replicas.default(1),
    /** @default false */
    spinning: threadFields.spinning.default(false),
    /** Absent: CPU only (specialists/ort-providers.ts). */
    executionProviders: threadFields.executionProviders.optional(),
    /** Absent: false. */
    cpuFallback: threadFields.cpuFallback.optional(),
    /**
     * Specialist (`ocr`, `detector`, `captioner`, `grounding`, `region_caption`) -> fields that differ
     * from the ones above. Florence-2 specialists on the same folder share one loaded model only when
     * their settings are the same. @default {}
     */
    perSpecialist: z.partialRecord(z.enum(ORT_SPECIALISTS), z.object(threadFields).partial().strict()).default({}),
  })
  .strict();
export type OrtConfig = z.infer<typeof OrtConfig>;
export type OrtThreads = Omit<OrtConfig, 'perSpecialist'>;

/** The settings of one specialist: its overrides over the top-level fields. Providers and fallback appear only when set. */
export function ortThreadsFor(ort: OrtConfig, specialist: string): OrtThreads {
  const own = ort.perSpecialist[specialist as (typeof ORT_SPECIALISTS)[number]] ?? {};
  const executionProviders = own.executionProviders ?? ort.executionProviders;
  const cpuFallback = own.cpuFallback ?? ort.cpuFallback;
  return {
    intraOpNumThreads: own.intraOpNumThreads ?? ort.intraOpNumThreads,
    interOpNumThreads: own.interOpNumThreads ?? ort.interOpNumThreads,
    replicas: own.replicas ?? ort.replicas,
    spinning: own.spinning ?? ort.spinning,
    ...(executionProviders && { executionProviders }),
    ...(cpuFallback !== undefined && { cpuFallback }),
  };
}

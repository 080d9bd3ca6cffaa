/**
 * Execution providers at session start. onnxruntime-node 1.30 ships the CPU provider (and WebGPU) in
 * the npm package; the CUDA and TensorRT providers are shared libraries its install script downloads
 * only when asked (docs/operations.md, "GPU inference"). Without them, a session asking for `cuda`
 * fails whole, `['cuda', 'cpu']` included ("OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to
 * load shared library"), after ORT has printed its own multi-line log. So the libraries are looked for
 * first, and a provider that is missing, or that fails to start, becomes one line naming the model and
 * the provider: a fallback to the providers left (CPU at least) when `cpuFallback` allows it, recorded
 * in provider-fallbacks.ts; an error otherwise. A provider that is installed but fails to start (no
 * GPU, no CUDA runtime; here: WebGPU without an adapter) is found only by trying, so ORT and the driver
 * may print their own log before that line.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { type OrtConfig, ortThreadsFor } from '../schemas/ort-config.ts';
import { recordFallback } from './provider-fallbacks.ts';

type Options = ort.InferenceSession.SessionOptions;
type ProviderConfig = NonNullable<Options['executionProviders']>[number];

const providerName = (p: ProviderConfig): string => (typeof p === 'string' ? p : p.name);

/** Where onnxruntime-node keeps its native binding and the provider libraries next to it. */
function bindingDir(): string {
  const pkg = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why this onnxruntime-node cannot start the provider `name`, or null when it has it. */
export function providerMissing(name: string): string | null {
  if (name === 'cpu') return null;
  const listed = ort.listSupportedBackends().find((b) => b.name === name);
  if (!listed) return `this onnxruntime-node build has no ${name} provider`;
  // only Linux's library names are known here; elsewhere ORT's own error at session start says it
  if (listed.bundled || process.platform !== 'linux') return null;
  const lib = `libonnxruntime_providers_${name}.so`;
  if (!existsSync(join(bindingDir(), lib)))
    return `onnxruntime-node is installed without its GPU libraries: ${lib} is missing, see docs/operations.md "GPU inference"`;
  return null;
}

export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

const refusal = (what: string, provider: string, reason: string) =>
  new ProviderUnavailableError(
    `${what}: execution provider ${provider} not available (${reason}); ort.cpuFallback is off, so it does not start`,
  );

function describe(list: readonly ProviderConfig[]): string {
  return list.length ? list.map(providerName).join(', ') : 'cpu';
}

/**
 * The options without the providers this onnxruntime-node lacks: a fallback recorded under `what`
 * when `cpuFallback`, else a ProviderUnavailableError with the one line. Checks files only, so a
 * model folder of several graphs calls it once for the folder.
 */
export function withAvailableProviders(options: Options, cpuFallback: boolean, what: string): Options {
  const asked = options.executionProviders ?? [];
  const missing = asked.map((p) => [providerName(p), providerMissing(providerName(p))] as const).filter(([, r]) => r);
  if (!missing.length) return options;
  const names = missing.map(([n]) => n).join(', ');
  const reason = missing[0][1]!;
  if (!cpuFallback) throw refusal(what, names, reason);
  const left = asked.filter((p) => providerMissing(providerName(p)) === null);
  recordFallback({ model: what, provider: names, reason, runsOn: describe(left) });
  return { ...options, executionProviders: left.length ? left : ['cpu'] };
}

/**
 * `InferenceSession.create` with the providers of `options`. A GPU provider that is missing or fails
 * to start: with `cpuFallback` the session is created on CPU and the fallback recorded; without, one
 * ProviderUnavailableError line. A model that does not load on CPU either keeps its own error.
 */
export async function createSession(
  path: string,
  options: Options,
  cpuFallback = false,
): Promise<ort.InferenceSession> {
  const usable = withAvailableProviders(options, cpuFallback, path);
  const gpu = (usable.executionProviders ?? []).filter((p) => providerName(p) !== 'cpu');
  if (!gpu.length) return ort.InferenceSession.create(path, usable);
  try {
    return await ort.InferenceSession.create(path, usable);
  } catch (e) {
    const onCpu = { ...options, executionProviders: ['cpu'] };
    // the model itself may be what failed: only a session that starts on CPU blames the provider
    const cpu = await ort.InferenceSession.create(path, onCpu).catch(() => null);
    if (!cpu) throw e;
    const reason = `failed to start: ${(e as Error).message.split('\n')[0]}`;
    if (!cpuFallback) {
      await cpu.release();
      throw refusal(path, describe(gpu), reason);
    }
    recordFallback({ model: path, provider: describe(gpu), reason, runsOn: 'cpu' });
    return cpu;
  }
}

/**
 * Before a worker takes a job: the first of `specialists` whose config asks for a provider this
 * onnxruntime-node lacks, without `cpuFallback`, is a ProviderUnavailableError naming the specialist
 * and the provider. A provider that is present but fails to start is only found when a model loads.
 */
export function checkProvidersAtStart(ortConfig: OrtConfig, specialists: readonly string[]): void {
  for (const specialist of specialists) {
    const t = ortThreadsFor(ortConfig, specialist);
    if (t.cpuFallback) continue;
    for (const p of t.executionProviders ?? []) {
      const reason = providerMissing(p.name);
      if (reason) throw refusal(`specialist ${specialist}`, p.name, reason);
    }
  }
}

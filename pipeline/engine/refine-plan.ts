import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EngineConfig } from '../../schemas/config.ts';
import { MODEL_MANIFEST_FILE } from '../../schemas/model-manifest.ts';
import { REFINE_TASK_SLOTS } from '../../schemas/refine-config.ts';
import { ROUND_PLAN_FIELDS, type RoundPlan } from '../../schemas/round-plan.ts';
import { readManifest } from '../../specialists/registry/model-folder.ts';
import { registryDir } from '../../specialists/registry/registry.ts';
import { layout } from '../layout.ts';
import { detectorModelName, trainDetectorCommand } from '../train/names.ts';
import type { Storage } from '../storage/storage.ts';
import { acceptancePlan, checkAcceptanceReady } from './round-acceptance.ts';
import { createRoundPlan, describeDifferences, planDifferences, readRoundPlan } from './plan-files.ts';
import { DEFAULT_JOB_POLICY } from './policy.ts';
import { roundSpecialists, SPECIALIST_STAGES } from './stages.ts';

export class RefinePlanError extends Error {
  override name = 'RefinePlanError';
}

/** `--model`: a model folder, or a name in the registry (`--registry`, `FLD_MODELS`, `.fld/models`). */
export function resolveModel(ref: string, registry?: string): string {
  if (existsSync(join(ref, MODEL_MANIFEST_FILE))) return resolve(ref);
  const dir = join(registryDir(registry), ref);
  if (existsSync(join(dir, MODEL_MANIFEST_FILE))) return dir;
  throw new RefinePlanError(
    `refine --model ${ref}: neither a model folder (no ${MODEL_MANIFEST_FILE} there) nor a model in the registry ${registryDir(registry)}`,
  );
}

export interface RefinePlanOptions {
  model: string;
  /** Tasks to run instead of config `refine.tasks`. */
  tasks?: readonly string[];
  registry?: string;
  /**
   * With config `refine.retrain` including `detector`: the retrained detector that runs in the detector
   * slot, a model folder or a registered name (`fld refine --detector`). Default: `<C>-detector-round-<R-1>`
   * of the collection refined. A held-out collection refined with the train collection's models names
   * the train collection's detector here.
   */
  detector?: string;
}

/**
 * The retrained detector of refinement round R: `ref` (a folder or a registered name), else
 * `<C>-detector-round-<R-1>` in the registry; it must be a detector-family model folder.
 */
export async function resolveRetrainedDetector(
  collection: string,
  round: number,
  ref: string | undefined,
  registry?: string,
): Promise<string> {
  const previous = round - 1;
  const name = ref ?? detectorModelName(collection, previous);
  let dir: string | null = null;
  if (existsSync(join(name, MODEL_MANIFEST_FILE))) dir = resolve(name);
  else if (!name.includes('/') && existsSync(join(registryDir(registry), name, MODEL_MANIFEST_FILE)))
    dir = join(registryDir(registry), name);
  if (!dir) {
    throw new RefinePlanError(
      ref
        ? `refine --detector ${ref}: neither a model folder (no ${MODEL_MANIFEST_FILE} there) nor a model in the registry ${registryDir(registry)}`
        : `refine round ${round} of ${collection}: config refine.retrain includes detector, but the registry ${registryDir(registry)} has no ${name}; train it first with \`${trainDetectorCommand(collection, previous)}\` (or name a retrained detector with --detector)`,
    );
  }
  const m = await readManifest(dir);
  if (m.family !== 'detector')
    throw new RefinePlanError(
      `refine --detector ${name}: model family is ${m.family}; the detector slot needs a detector model`,
    );
  return dir;
}

export interface RefinePlanResult {
  plan: RoundPlan;
  /** False when the round was planned before (the saved plan stands, whatever the options say now). */
  created: boolean;
  /** Tasks asked for that this round does not run, each with why. */
  skipped: string[];
}

/**
 * The plan of refinement round R >= 1 (docs/refinement.md): the model runs the configured tasks its
 * fld-model.json lists, each in the stage whose slot it fills (`<OD>` detector, `<REGION_TO_DESCRIPTION>`
 * region captioner over those boxes, `<OCR_WITH_REGION>` ocr, caption tasks captioner,
 * `<CAPTION_TO_PHRASE_GROUNDING>` grounding over those captions); config `refine.specialists` names
 * round-0 specialists that run again in their own slot instead, and `refine.retrain` specialists
 * retrained on round R-1 (the detector: `<C>-detector-round-<R-1>`, or `opts.detector`) that run in theirs.
 * The merge combines with round R-1 under `refine.policy`. Saved like round 0's plan, so workers and
 * `--resume` need no config.
 * Everything is checked before anything is written.
 */
export async function refinePlanFor(
  storage: Storage,
  collection: string,
  round: number,
  config: EngineConfig,
  opts: RefinePlanOptions,
): Promise<RefinePlanResult> {
  if (!Number.isInteger(round) || round < 1)
    throw new RefinePlanError(
      `refine --round must be an integer >= 1 (round 0 is fld enqueue / fld run), got ${round}`,
    );
  const saved = await readRoundPlan(storage, collection, round);
  if (saved) {
    if (!saved.refine)
      throw new RefinePlanError(
        `round ${round} of ${collection} was planned as a specialists round, not a refinement round (${layout.roundPlan(collection, round)})`,
      );
    return { plan: saved, created: false, skipped: [] };
  }
  const previous = round - 1;
  if (!(await storage.exists(layout.manifest(collection, previous)))) {
    throw new RefinePlanError(
      `refine round ${round} of ${collection}: round ${previous} is not finished (no ${layout.manifest(collection, previous)}); run it to the end first`,
    );
  }
  const model = resolveModel(opts.model, opts.registry);
  const m = await readManifest(model);
  if (m.family !== 'florence2')
    throw new RefinePlanError(
      `refine --model ${opts.model}: model family is ${m.family}; refinement needs a florence2 model`,
    );
  const listed = new Set(m.tasks ?? []);
  const asked = [...new Set(opts.tasks ?? config.refine.tasks)];
  for (const t of asked)
    if (!(t in REFINE_TASK_SLOTS))
      throw new RefinePlanError(
        `refine --tasks: unknown task ${t} (known: ${Object.keys(REFINE_TASK_SLOTS).join(' ')})`,
      );
  for (const name of config.refine.specialists) {
    if (!config.specialists[name])
      throw new RefinePlanError(
        `config refine.specialists: "${name}" is not among the configured specialists (${Object.keys(config.specialists).join(', ') || 'none'})`,
      );
  }
  const retrain: readonly string[] = config.refine.retrain;
  for (const name of retrain) {
    if (config.refine.specialists.includes(name))
      throw new RefinePlanError(`config refine: "${name}" is in both refine.retrain and refine.specialists`);
  }
  if (opts.detector !== undefined && !retrain.includes('detector')) {
    throw new RefinePlanError(
      `refine --detector ${opts.detector}: config refine.retrain does not include detector, so no retrained detector runs in round ${round}`,
    );
  }
  const retrained: Record<string, string> = {};
  if (retrain.includes('detector'))
    retrained.detector = await resolveRetrainedDetector(collection, round, opts.detector, opts.registry);
  const skipped: string[] = [];
  const tasks: Record<string, string[]> = {};
  for (const t of asked) {
    const slot = REFINE_TASK_SLOTS[t];
    if (!listed.has(t)) skipped.push(`${t}: ${m.name} does not list it in ${MODEL_MANIFEST_FILE}`);
    else if (config.refine.specialists.includes(slot))
      skipped.push(`${t}: specialist ${slot} runs again in its slot (refine.specialists)`);
    else if (retrained[slot]) skipped.push(`${t}: specialist ${slot} retrained on round ${previous} runs in its slot`);
    else (tasks[slot] ??= []).push(t);
  }
  const specialists: Record<string, string> = {};
  for (const slot of Object.keys(tasks)) specialists[slot] = model;
  for (const name of config.refine.specialists) specialists[name] = config.specialists[name];
  for (const [name, dir] of Object.entries(retrained)) specialists[name] = dir;
  // a fed stage whose input stage is absent cannot run: its tasks are skipped, said why
  for (const d of SPECIALIST_STAGES) {
    if (!specialists[d.specialist]) continue;
    const missing = d.needs.filter((n) => !specialists[n]);
    if (!missing.length) continue;
    for (const t of tasks[d.specialist] ?? [])
      skipped.push(`${t}: it reads the ${missing.join(', ')} stage's output, which this round does not run`);
    delete tasks[d.specialist];
    delete specialists[d.specialist];
  }
  if (!Object.keys(specialists).length)
    throw new RefinePlanError(`refine round ${round}: nothing to run (${skipped.join('; ') || 'no tasks'})`);
  roundSpecialists(Object.keys(specialists));
  const acceptance = acceptancePlan(config, collection);
  await checkAcceptanceReady(storage, acceptance, collection, round);
  // one conditional create: of two `fld refine` planning the round at once, one plan is saved
  const {
    saved: winner,
    ours,
    created,
  } = await createRoundPlan(storage, {
    collection,
    round,
    specialists,
    filters: config.filters,
    batchSize: config.batchSize,
    window: config.window,
    jobs: config.jobs ?? DEFAULT_JOB_POLICY,
    refine: {
      previous,
      model,
      tasks,
      policy: config.refine.policy,
      agreeIou: config.refine.agreeIou,
      ...(Object.keys(retrained).length ? { retrained } : {}),
    },
    acceptance,
    created_at: new Date().toISOString(),
  });
  if (created) return { plan: ours, created: true, skipped };
  const diff = planDifferences(winner, ours, ROUND_PLAN_FIELDS);
  if (diff.length)
    throw new RefinePlanError(
      `refine round ${round} of ${collection}: another refine planned this round at the same time with another plan (${describeDifferences(diff)}); the saved plan stands`,
    );
  return { plan: winner, created: false, skipped: [] };
}

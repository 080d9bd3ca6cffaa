/**
 * Which lever of the verified set gives what, on a kept `rounds-claim` run, with the same models:
 * `FLD_BENCH_ABLATION_DIR=<kept folder> npm run bench -- acceptance-ablation`.
 *
 * The raw outputs of every round are kept (so filters can be re-run without the models). For each
 * variant this copies the run's storage, turns levers off in the saved round plans (`acceptance.gates`,
 * `acceptance.calibrate`; `acceptance.confidence` 0: gates on the observed F1 and margin alone), deletes what the merges wrote and merges every round again in order, the
 * verified collection first (its decision is remade under the variant), in this process. Then it
 * scores the train and held-out collections per round against their worlds. The anchor is the run as
 * kept (all its levers). What this cannot take apart: the `targets` and `retrain` levers change what
 * the models learned, so the models and their raw rows are the run's; those need runs of their own
 * (`FLD_BENCH_LEVERS` of `rounds-claim`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../schemas/config.ts';
import { runRoundLocal } from '../pipeline/engine/local-executor.ts';
import { openServices } from '../pipeline/engine/open-engine.ts';
import { listImageShards, readRoundPlan, writeRoundPlan } from '../pipeline/engine/plan-files.ts';
import { finalizeRound } from '../pipeline/engine/round-manifest.ts';
import { runRefineRoundLocal } from '../pipeline/engine/refine-round.ts';
import { runSourceRoundLocal } from '../pipeline/engine/source-round-local.ts';
import { FLD_BIN } from '../demo/run/worker-procs.ts';
import { detectSource } from '../pipeline/sources/detect.ts';
import { detectorModelName, modelName } from '../pipeline/train/names.ts';
import { layout } from '../pipeline/layout.ts';
import { scoreRound } from '../demo/quality/round-quality.ts';
import type { Storage } from '../pipeline/storage/storage.ts';
import type { RoundQuality } from '../schemas/round-quality.ts';

const DIR = process.env.FLD_BENCH_ABLATION_DIR;
if (!DIR || !existsSync(join(DIR, 'data')))
  throw new Error(
    'FLD_BENCH_ABLATION_DIR must name a folder kept by FLD_BENCH_KEEP=1 npm run bench -- rounds-claim (with a verified set)',
  );
const ROUNDS = 2;
const [C, H, V] = ['world', 'heldout', 'verified'];
const say = (l: string) => console.log(l);

/**
 * Another verified set (`FLD_BENCH_ABLATION_VERIFIED_SEEDS`, e.g. `6,7`): a world of that seed made a
 * verified set, taken through the same rounds with the run's models, whose decisions then drive the
 * train and held-out merges. What it cannot change: the run's models learned from targets ranked by
 * the first verified set.
 */
const SEEDS = (process.env.FLD_BENCH_ABLATION_VERIFIED_SEEDS ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean)
  .map(Number);
for (const s of SEEDS)
  if (!Number.isInteger(s) || s < 0) throw new Error(`FLD_BENCH_ABLATION_VERIFIED_SEEDS: not a seed: ${s}`);
const VERIFIED_IMAGES = Number(process.env.FLD_BENCH_VERIFIED ?? 200);

const VARIANTS: { name: string; flags: { calibrate: boolean; gates: boolean; confidence?: number }; seed?: number }[] =
  [
    { name: 'as run (calibration + gates)', flags: { calibrate: true, gates: true } },
    { name: 'gates on the margin alone (no resampling)', flags: { calibrate: true, gates: true, confidence: 0 } },
    { name: 'calibration, no gates', flags: { calibrate: true, gates: false } },
    { name: 'gates, no calibration', flags: { calibrate: false, gates: true } },
    { name: 'neither (configured thresholds, no gates)', flags: { calibrate: false, gates: false } },
    ...SEEDS.map((seed) => ({ name: `verified set of seed ${seed}`, flags: { calibrate: true, gates: true }, seed })),
  ];

/** Deletes what the merge of a round wrote, so it runs again. */
async function clearMerge(storage: Storage, c: string, r: number): Promise<void> {
  const prefix = layout.roundPrefix(c, r);
  for await (const key of storage.list(prefix)) {
    const rest = key.slice(prefix.length);
    if (
      /^(text|region_text|text_phrase_region|errors)\//.test(rest) ||
      rest.startsWith('_done/merge/') ||
      rest === '_manifest.json' ||
      rest === '_acceptance.json'
    )
      await storage.delete(key);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'fld-ablation-'));
const f = (v: number) => v.toFixed(3);
try {
  const results: { name: string; q: RoundQuality[] }[] = [];
  for (const v of VARIANTS) {
    const root = join(tmp, String(results.length));
    cpSync(join(DIR, 'data'), root, { recursive: true });
    const kept = JSON.parse(readFileSync(join(DIR, 'fld.config.json'), 'utf8')) as Record<string, unknown>;
    const v2 = v.seed === undefined ? V : `verified-seed-${v.seed}`;
    let v2Source = '';
    if (v.seed !== undefined) {
      const w = join(tmp, `verified-world-${v.seed}`);
      for (const args of [
        [
          'world',
          'generate',
          '--out',
          w,
          '--images',
          String(VERIFIED_IMAGES),
          '--seed',
          String(v.seed),
          '--detailed-fraction',
          '0.05',
        ],
        ['world', 'verified', '--world', w],
      ]) {
        const r = spawnSync(process.execPath, [FLD_BIN, ...args], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`fld ${args.join(' ')}: ${r.stderr}`);
      }
      v2Source = join(w, 'collection', 'verified.jsonl');
    }
    const config = EngineConfig.parse({
      ...kept,
      storage: root,
      verified: { ...(kept.verified as object), collection: v2, ...(v2Source ? { source: v2Source } : {}) },
    });
    const services = openServices(config, {});
    const registry = join(DIR, 'models');
    const t0 = performance.now();
    try {
      for (let r = 0; r <= ROUNDS; r++) {
        if (v.seed !== undefined) {
          // the other verified set through the same round with the run's models, before the others
          if (r === 0) await runSourceRoundLocal(services, config, () => detectSource(v2Source, {}), v2, 0);
          else
            await runRefineRoundLocal(services, config, v2, r, {
              model: modelName(C, r - 1),
              registry,
              ...(config.refine.retrain.includes('detector') ? { detector: detectorModelName(C, r - 1) } : {}),
            });
        }
        for (const c of v.seed === undefined ? [V, C, H] : [C, H]) {
          const saved = await readRoundPlan(services.storage, c, r);
          if (!saved?.acceptance) throw new Error(`${c} round ${r}: no plan with a verified set under ${root}`);
          const plan = await writeRoundPlan(services.storage, {
            ...saved,
            acceptance: { ...saved.acceptance, ...v.flags, verified: v2 },
          });
          await clearMerge(services.storage, c, r);
          await runRoundLocal(plan, await listImageShards(services.storage, c), services);
          if (!(await finalizeRound(services.storage, plan, new Set())))
            throw new Error(`${c} round ${r}: not finished`);
        }
      }
      const q: RoundQuality[] = [];
      for (let r = 0; r <= ROUNDS; r++)
        q.push(
          await scoreRound(
            services.storage,
            { collection: C, round: r, world: join(DIR, 'world') },
            { collection: H, round: r, world: join(DIR, 'heldout') },
          ),
        );
      results.push({ name: v.name, q });
      say(
        `${v.name}: re-merged ${ROUNDS + 1} rounds of ${v2}, ${C}, ${H} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (v.seed !== undefined) {
        const vq = [];
        for (let r = 0; r <= ROUNDS; r++)
          vq.push(
            (
              await scoreRound(services.storage, {
                collection: v2,
                round: r,
                world: join(tmp, `verified-world-${v.seed}`),
              })
            ).annotated,
          );
        say(
          `  ${v2} itself: box F1 ${vq.map((x) => f(x.boxes.f1)).join(' -> ')}, brief F1 ${vq.map((x) => f(x.captions.brief.f1)).join(' -> ')}`,
        );
      }
    } finally {
      await services.close();
    }
  }
  const row = (name: string, q: RoundQuality[], get: (x: RoundQuality) => number) =>
    `${name.padEnd(44)} ${q.map((x) => f(get(x))).join(' -> ')}`;
  for (const [what, get] of [
    ['held-out box F1', (x: RoundQuality) => x.held_out!.boxes.f1],
    ['held-out brief-caption object F1', (x: RoundQuality) => x.held_out!.captions.brief.f1],
    ['annotated box F1', (x: RoundQuality) => x.annotated.boxes.f1],
    ['annotated brief-caption object F1', (x: RoundQuality) => x.annotated.captions.brief.f1],
  ] as const) {
    say(`\n${what}, rounds 0 -> ${ROUNDS}`);
    for (const r of results) say(row(r.name, r.q, get));
  }
  say('\nfigure | anchor | ratio');
  const anchor = results[0]!;
  for (const r of results.slice(1)) {
    const d = (g: (x: RoundQuality) => number) => g(r.q[ROUNDS]!) - g(anchor.q[ROUNDS]!);
    say(
      `${r.name}: held-out round ${ROUNDS} box F1 ${f(r.q[ROUNDS]!.held_out!.boxes.f1)} | as run ${f(anchor.q[ROUNDS]!.held_out!.boxes.f1)} | ${f(d((x) => x.held_out!.boxes.f1))} (difference); brief F1 ${f(r.q[ROUNDS]!.held_out!.captions.brief.f1)} | ${f(anchor.q[ROUNDS]!.held_out!.captions.brief.f1)} | ${f(d((x) => x.held_out!.captions.brief.f1))}`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

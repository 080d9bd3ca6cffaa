/**
 * Which lever of the verified set gives what, on a kept `rounds-claim` run, with the same models:
 * `FLD_BENCH_ABLATION_DIR=<kept folder> npm run bench -- acceptance-ablation`.
 *
 * The raw outputs of every round are kept (so filters can be re-run without the models). For each
 * variant this copies the run's storage, turns levers off in the saved round plans (`acceptance.gates`,
 * `acceptance.calibrate`), deletes what the merges wrote and merges every round again in order, the
 * verified collection first (its decision is remade under the variant), in this process. Then it
 * scores the train and held-out collections per round against their worlds. The anchor is the run as
 * kept (all its levers). What this cannot take apart: the `targets` and `retrain` levers change what
 * the models learned, so the models and their raw rows are the run's; those need runs of their own
 * (`FLD_BENCH_LEVERS` of `rounds-claim`).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../schemas/config.ts';
import { runRoundLocal } from '../pipeline/engine/local-executor.ts';
import { openServices } from '../pipeline/engine/open.ts';
import { listImageShards, readRoundPlan, writeRoundPlan } from '../pipeline/engine/plan-files.ts';
import { finalizeRound } from '../pipeline/engine/round-manifest.ts';
import { layout } from '../pipeline/layout.ts';
import { scoreRound } from '../pipeline/quality/round-quality.ts';
import type { Storage } from '../pipeline/storage/storage.ts';
import type { RoundQuality } from '../schemas/round-quality.ts';

const DIR = process.env.FLD_BENCH_ABLATION_DIR;
if (!DIR || !existsSync(join(DIR, 'data'))) throw new Error('FLD_BENCH_ABLATION_DIR must name a folder kept by FLD_BENCH_KEEP=1 npm run bench -- rounds-claim (with a verified set)');
const ROUNDS = 2;
const [C, H, V] = ['world', 'heldout', 'verified'];
const say = (l: string) => console.log(l);

const VARIANTS: { name: string; flags: { calibrate: boolean; gates: boolean } }[] = [
  { name: 'as run (calibration + gates)', flags: { calibrate: true, gates: true } },
  { name: 'calibration, no gates', flags: { calibrate: true, gates: false } },
  { name: 'gates, no calibration', flags: { calibrate: false, gates: true } },
  { name: 'neither (configured thresholds, no gates)', flags: { calibrate: false, gates: false } },
];

/** Deletes what the merge of a round wrote, so it runs again. */
async function clearMerge(storage: Storage, c: string, r: number): Promise<void> {
  const prefix = layout.roundPrefix(c, r);
  for await (const key of storage.list(prefix)) {
    const rest = key.slice(prefix.length);
    if (/^(text|region_text|text_phrase_region|errors)\//.test(rest) || rest.startsWith('_done/merge/') || rest === '_manifest.json' || rest === '_acceptance.json') await storage.delete(key);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'fld-ablation-'));
const f = (v: number) => v.toFixed(3);
try {
  const results: { name: string; q: RoundQuality[] }[] = [];
  for (const v of VARIANTS) {
    const root = join(tmp, String(results.length));
    cpSync(join(DIR, 'data'), root, { recursive: true });
    const services = openServices(EngineConfig.parse({ storage: root }), {});
    const t0 = performance.now();
    try {
      for (let r = 0; r <= ROUNDS; r++) {
        for (const c of [V, C, H]) {
          const saved = await readRoundPlan(services.storage, c, r);
          if (!saved?.acceptance) throw new Error(`${c} round ${r}: no plan with a verified set under ${root}`);
          const plan = await writeRoundPlan(services.storage, { ...saved, acceptance: { ...saved.acceptance, ...v.flags } });
          await clearMerge(services.storage, c, r);
          await runRoundLocal(plan, await listImageShards(services.storage, c), services);
          if (!(await finalizeRound(services.storage, plan, new Set()))) throw new Error(`${c} round ${r}: not finished`);
        }
      }
      const q: RoundQuality[] = [];
      for (let r = 0; r <= ROUNDS; r++) q.push(await scoreRound(services.storage, { collection: C, round: r, world: join(DIR, 'world') }, { collection: H, round: r, world: join(DIR, 'heldout') }));
      results.push({ name: v.name, q });
      say(`${v.name}: re-merged ${ROUNDS + 1} rounds of ${V}, ${C}, ${H} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await services.close();
    }
  }
  const row = (name: string, q: RoundQuality[], get: (x: RoundQuality) => number) => `${name.padEnd(44)} ${q.map((x) => f(get(x))).join(' -> ')}`;
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
    say(`${r.name}: held-out round ${ROUNDS} box F1 ${f(r.q[ROUNDS]!.held_out!.boxes.f1)} | as run ${f(anchor.q[ROUNDS]!.held_out!.boxes.f1)} | ${f(d((x) => x.held_out!.boxes.f1))} (difference); brief F1 ${f(r.q[ROUNDS]!.held_out!.captions.brief.f1)} | ${f(anchor.q[ROUNDS]!.held_out!.captions.brief.f1)} | ${f(d((x) => x.held_out!.captions.brief.f1))}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

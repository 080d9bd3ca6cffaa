import type { Command } from 'commander';
import { register as stats } from './stats.ts';
import { register as world } from './world.ts';
import { register as sourceCheck } from './source-check.ts';
import { register as models } from './models.ts';
import { register as inspect } from './inspect.ts';
import { register as dashboard } from './dashboard.ts';
import { register as enqueue } from './enqueue.ts';
import { register as worker } from './worker.ts';
import { register as status } from './status.ts';
import { register as retry } from './retry.ts';
import { register as runLocal } from './run-local.ts';
import { register as demo } from './demo.ts';
import { register as exportCmd } from './export.ts';
import { register as train } from './train.ts';
import { register as refine } from './refine.ts';
import { register as quality } from './quality.ts';

/**
 * Each CLI command lives in its own file under pipeline/cli/ and exports `register(program)`.
 * Add new commands to this list, one per line; keep main.ts free of command logic.
 */
type Registrar = (program: Command) => void;
const registrars: Registrar[] = [
  stats,
  world,
  sourceCheck,
  models,
  inspect,
  dashboard,
  enqueue,
  worker,
  status,
  retry,
  runLocal,
  demo,
  exportCmd,
  train,
  refine,
  quality,
];

export function registerCommands(program: Command): void {
  for (const r of registrars) r(program);
}

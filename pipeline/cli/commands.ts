import type { Command } from 'commander';
import { register as stats } from './stats.ts';
import { register as world } from './world.ts';

/**
 * Each CLI command lives in its own file under pipeline/cli/ and exports `register(program)`.
 * Add new commands to this list, one per line; keep main.ts free of command logic.
 */
type Registrar = (program: Command) => void;
const registrars: Registrar[] = [
  stats,
  world,
];

export function registerCommands(program: Command): void {
  for (const r of registrars) r(program);
}

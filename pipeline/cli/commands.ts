import type { Command } from 'commander';
import { register as models } from './models.ts';

/**
 * Each CLI command lives in its own file under pipeline/cli/ and exports `register(program)`.
 * Add new commands to this list; keep main.ts free of command logic.
 */
type Registrar = (program: Command) => void;
const registrars: Registrar[] = [models];

export function registerCommands(program: Command): void {
  for (const r of registrars) r(program);
}

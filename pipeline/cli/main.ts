import { Command } from 'commander';
import { registerCommands } from './commands.ts';

const program = new Command();
program
  .name('fld')
  .description(
    'fld-engine: builds FLD-5B-style annotations (text, region-text, text-phrase-region) from image collections',
  )
  .version('0.1.0')
  .showHelpAfterError();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { exitCode?: number };
  process.stderr.write(`fld: ${e.message}\n`);
  process.exit(e.exitCode ?? 1);
}

import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FLD = fileURLToPath(new URL('../../bin/fld.js', import.meta.url));

interface Step { name: string; args: string[] }

/**
 * The main job on the bundled demo world: draw a world with exact truth, run round 0 of the engine
 * on it (real PaddleOCR plus the collection's own alt-texts, filtered and merged into the three
 * annotation kinds), print the stats and the quality against the truth, write the HTML report.
 * Each step is the same `fld` command a user would type, so the demo shows the CLI as it is;
 * the refinement rounds join this list as they land.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('the main job on the bundled demo world: generate, round 0, stats, quality, HTML report')
    .option('--out <dir>', 'working folder', '.fld/demo')
    .option('--images <n>', 'images in the demo world', '120')
    .option('--seed <s>', 'world seed', '7')
    .action((o: { out: string; images: string; seed: string }) => {
      const out = resolve(o.out);
      const world = join(out, 'world');
      const data = join(out, 'data');
      const config = join(out, 'fld.config.json');
      mkdirSync(out, { recursive: true });
      writeFileSync(config, JSON.stringify({ storage: data, shardSize: 40, specialists: { ocr: 'ppocr-v4' } }, null, 2) + '\n');
      const steps: Step[] = [
        { name: 'generate the demo world', args: ['world', 'generate', '--out', world, '--images', o.images, '--seed', o.seed] },
        { name: 'round 0 (OCR + alt-text, filters, merge)', args: ['run', join(world, 'collection', 'manifest.jsonl'), '--collection', 'demo', '--config', config] },
        { name: 'stats + HTML report', args: ['stats', '--round', '0', '--root', data, '--collection', 'demo', '--html', join(out, 'report.html')] },
        { name: 'quality against the truth', args: ['world', 'score', '--world', world, '--labels', join(data, 'demo', 'round-0'), '--images', join(data, 'demo', 'images')] },
      ];
      const times: [string, number][] = [];
      for (const [i, s] of steps.entries()) {
        process.stdout.write(`\n[${i + 1}/${steps.length}] ${s.name}: fld ${s.args.join(' ')}\n`);
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [FLD, ...s.args], { stdio: 'inherit' });
        times.push([s.name, (performance.now() - t0) / 1000]);
        if (r.status !== 0) throw Object.assign(new Error(`demo: step "${s.name}" failed (exit ${r.status ?? r.signal})`), { exitCode: 1 });
      }
      process.stdout.write('\nstep timings\n');
      for (const [name, s] of times) process.stdout.write(`  ${name.padEnd(42)} ${s.toFixed(1).padStart(7)} s\n`);
      process.stdout.write(`  ${'total'.padEnd(42)} ${times.reduce((a, [, s]) => a + s, 0).toFixed(1).padStart(7)} s\nreport: ${join(out, 'report.html')}\n`);
    });
}

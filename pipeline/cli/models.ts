import type { Command } from 'commander';
import { verifyFolder, ModelVerifyError } from '../../specialists/registry/model-folder.ts';
import { pullModel } from '../../specialists/registry/pull.ts';
import { listModels, registryDir } from '../../specialists/registry/registry.ts';

/** Exit code of `fld models verify` when a file does not match its manifest. */
export const EXIT_VERIFY_MISMATCH = 2;

export function register(program: Command): void {
  const models = program.command('models').description('the model registry: list, pull public models, verify a model folder');

  models.command('list')
    .description('list the model folders in the registry')
    .option('--registry <dir>', 'registry folder (default: $FLD_MODELS or .fld/models)')
    .option('--json', 'print JSON')
    .action(async (o: { registry?: string; json?: boolean }) => {
      const reg = registryDir(o.registry);
      const rows = await listModels(reg);
      if (o.json) {
        process.stdout.write(JSON.stringify({ registry: reg, models: rows }, null, 2) + '\n');
        return;
      }
      if (!rows.length) process.stdout.write(`no models in ${reg}\n`);
      for (const r of rows) {
        const m = r.manifest;
        process.stdout.write(m
          ? `${m.name}\t${m.family}\t${m.version}\t${m.files.length} files\t${r.dir}\n`
          : `(invalid)\t${r.dir}\t${r.problem}\n`);
      }
    });

  models.command('verify <dir>')
    .description(`check every file's size and sha256 against fld-model.json (exit ${EXIT_VERIFY_MISMATCH} on a mismatch)`)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      try {
        const m = await verifyFolder(dir);
        process.stdout.write(o.json ? JSON.stringify({ ok: true, name: m.name, files: m.files.length }) + '\n' : `ok: ${m.name} (${m.files.length} files)\n`);
      } catch (e) {
        if (e instanceof ModelVerifyError) {
          if (o.json) process.stdout.write(JSON.stringify({ ok: false, file: e.file, message: e.message }) + '\n');
          throw Object.assign(new Error(`verify failed: ${e.message}`), { exitCode: EXIT_VERIFY_MISMATCH });
        }
        throw e;
      }
    });

  models.command('pull <name>')
    .description('download a catalogue model (resumable, sha256-checked) into the registry')
    .option('--registry <dir>', 'registry folder (default: $FLD_MODELS or .fld/models)')
    .option('--cache <dir>', 'download cache (default: <registry>/.cache)')
    .option('--base-url <url>', 'hub base URL (default: $FLD_HUB_URL or https://huggingface.co)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { registry?: string; cache?: string; baseUrl?: string; json?: boolean }) => {
      const tty = process.stderr.isTTY && !o.json;
      let current = '';
      const { dir, manifest } = await pullModel(name, {
        registry: registryDir(o.registry), cache: o.cache, baseUrl: o.baseUrl,
        onFile: (p) => { current = p; if (!o.json) process.stderr.write(`${p}\n`); },
        onProgress: tty ? (b, t) => process.stderr.write(`\r${current}: ${(b / 1e6).toFixed(1)}${t ? ` / ${(t / 1e6).toFixed(1)}` : ''} MB`) : undefined,
      });
      if (tty) process.stderr.write('\n');
      process.stdout.write(o.json ? JSON.stringify({ dir, manifest }) + '\n' : `pulled ${manifest.name} into ${dir}\n`);
    });
}

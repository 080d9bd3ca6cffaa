import { dirname } from 'node:path';
import type { Command } from 'commander';
import { verifyFolder, ModelVerifyError } from '../../specialists/registry/model-folder.ts';
import { pullModel } from '../../specialists/registry/pull.ts';
import { CATALOGUE, catalogueLines } from '../../specialists/registry/catalogue.ts';
import {
  lineageOf,
  listModels,
  modelPurpose,
  registryDir,
  shippedModels,
  shortPath,
  type Lineage,
  type ListedModel,
} from '../../specialists/registry/registry.ts';
import { OcrAdapter } from '../../specialists/ocr/ocr.ts';
import { ppocrV4Paths } from '../../specialists/ocr/ppocr-models.ts';

/** Models the engine runs without a registry folder: a specialist name in config `specialists` (no fld-model.json). */
export function builtInModels(): {
  name: string;
  family: 'ocr';
  version: string;
  files: number;
  dir: string;
  purpose: string;
}[] {
  const p = ppocrV4Paths();
  const ocr = new OcrAdapter(); // its name and version, as its rows' source names them; nothing loads
  return [
    {
      name: ocr.name,
      family: 'ocr',
      version: ocr.version,
      files: Object.keys(p).length,
      dir: shortPath(dirname(p.detectionPath)),
      purpose: 'ocr: text lines with their quads (PaddleOCR PP-OCRv4, real weights: any images)',
    },
  ];
}

/** Exit code of `fld models verify` when a file does not match its manifest. */
export const EXIT_VERIFY_MISMATCH = 2;

export function register(program: Command): void {
  const models = program
    .command('models')
    .description('the model registry: list, pull public models, verify a model folder');

  models
    .command('list')
    .description(
      'list the model folders in the registry (with the collection and round that trained each, and its init), then the models the repository ships and the built-in ones, each with what it is for',
    )
    .option('--registry <dir>', 'registry folder (default: $FLD_MODELS or .fld/models)')
    .option('--json', 'print JSON')
    .action(async (o: { registry?: string; json?: boolean }) => {
      const reg = registryDir(o.registry);
      const purposeOf = (r: ListedModel) => (r.manifest ? modelPurpose(r.manifest) : null);
      const rows = (await listModels(reg)).map((r) => ({
        ...r,
        origin: 'registry' as const,
        lineage: r.manifest ? lineageOf(r.manifest) : null,
        purpose: purposeOf(r),
      }));
      const shipped = (await shippedModels()).map((r) => ({
        ...r,
        origin: 'shipped' as const,
        lineage: null,
        purpose: purposeOf(r),
      }));
      const builtIn = builtInModels();
      if (o.json) {
        process.stdout.write(
          JSON.stringify({ registry: reg, models: rows, shipped, builtin: builtIn }, null, 2) + '\n',
        );
        return;
      }
      const table: string[][] = [['name', 'family', 'version', 'origin', 'trained on', 'init', 'files', 'dir', 'for']];
      const initText = (l: Lineage) =>
        l.init === undefined ? '(not recorded)' : l.init === null ? '(scratch)' : shortPath(l.init);
      for (const r of [...rows, ...shipped]) {
        const m = r.manifest;
        if (!m) {
          table.push(['(invalid)', '-', '-', r.origin, '-', '-', '-', shortPath(r.dir), r.problem ?? '-']);
          continue;
        }
        const l = r.lineage;
        table.push([
          m.name,
          m.family,
          m.version,
          r.origin,
          l ? `${l.collection} round ${l.round}` : '-',
          l ? initText(l) : '-',
          String(m.files.length),
          shortPath(r.dir),
          r.purpose ?? '-',
        ]);
      }
      for (const b of builtIn)
        table.push([b.name, b.family, b.version, 'built-in', '-', '-', String(b.files), b.dir, b.purpose]);
      if (!rows.length)
        process.stdout.write(
          `registry ${shortPath(reg)}: nothing pulled or trained yet (fld models pull <name>: ${CATALOGUE.map((c) => c.name).join(', ')}); shipped and built-in models:\n`,
        );
      const widths = table[0].map((_, i) => Math.max(...table.map((t) => t[i].length)));
      for (const t of table)
        process.stdout.write(t.map((c, i) => (i === t.length - 1 ? c : c.padEnd(widths[i]))).join('  ') + '\n');
    });

  models
    .command('verify <dir>')
    .description(
      `check every file's size and sha256 against fld-model.json (exit ${EXIT_VERIFY_MISMATCH} on a mismatch)`,
    )
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      try {
        const m = await verifyFolder(dir);
        process.stdout.write(
          o.json
            ? JSON.stringify({ ok: true, name: m.name, files: m.files.length }) + '\n'
            : `ok: ${m.name} (${m.files.length} files)\n`,
        );
      } catch (e) {
        if (e instanceof ModelVerifyError) {
          if (o.json) process.stdout.write(JSON.stringify({ ok: false, file: e.file, message: e.message }) + '\n');
          throw Object.assign(new Error(`verify failed: ${e.message}`), { exitCode: EXIT_VERIFY_MISMATCH });
        }
        throw e;
      }
    });

  models
    .command('pull <name>')
    .description('download a catalogue model (resumable, sha256-checked) into the registry')
    .addHelpText(
      'after',
      `\nThe catalogue (<name>):\n${catalogueLines().join('\n')}\n\nThen point the config's "specialists" at it by name or folder, e.g. {"detector": "yolov8n"}.`,
    )
    .option('--registry <dir>', 'registry folder (default: $FLD_MODELS or .fld/models)')
    .option('--cache <dir>', 'download cache (default: <registry>/.cache)')
    .option('--base-url <url>', 'hub base URL (default: $FLD_HUB_URL or https://huggingface.co)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { registry?: string; cache?: string; baseUrl?: string; json?: boolean }) => {
      const tty = process.stderr.isTTY && !o.json;
      let current = '';
      const { dir, manifest } = await pullModel(name, {
        registry: registryDir(o.registry),
        cache: o.cache,
        baseUrl: o.baseUrl,
        onFile: (p) => {
          current = p;
          if (!o.json) process.stderr.write(`${p}\n`);
        },
        onProgress: tty
          ? (b, t) =>
              process.stderr.write(`\r${current}: ${(b / 1e6).toFixed(1)}${t ? ` / ${(t / 1e6).toFixed(1)}` : ''} MB`)
          : undefined,
      });
      if (tty) process.stderr.write('\n');
      process.stdout.write(o.json ? JSON.stringify({ dir, manifest }) + '\n' : `pulled ${manifest.name} into ${dir}\n`);
    });
}

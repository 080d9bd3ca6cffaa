import { Option, type Command } from 'commander';
import { detectSource } from '../sources/detect.ts';
import { planShards } from '../sources/plan.ts';
import { SOURCE_TYPES, type SourceType } from '../sources/types.ts';

/**
 * `fld source-check <source>`: lists a collection source and plans its shards without writing
 * anything, so a manifest can be fixed before `fld enqueue`. Local image files are opened as far as
 * their header (an empty file or text named .png is `unreadable_image`, as `fld run` would skip it);
 * `--no-check-files` skips that. Prints images, shards, problems per reason and the first problems;
 * exit code 1 when there were problems (2 on a source error).
 */
export function register(program: Command): void {
  program
    .command('source-check')
    .description(
      'list a collection source (folder, s3:// prefix, .jsonl/.csv/.parquet manifest, COCO json, img2dataset output) and plan its shards, writing nothing',
    )
    .argument('<source>', 'folder, manifest file, COCO instances JSON, img2dataset output folder or s3://bucket/prefix')
    .addOption(new Option('--format <type>', 'source type instead of detecting it').choices(SOURCE_TYPES as string[]))
    .option('--shard-size <n>', 'images per shard', (v) => Number.parseInt(v, 10), 1000)
    .option('--allow-outside', 'accept manifest paths outside the manifest folder', false)
    .option('--no-check-files', 'do not check that local files exist and are images (their header, read with sharp)')
    .option('--read-size', 'read width/height from image headers (slower)', false)
    .option('--id-from <what>', 'image id from "uri" or "bytes"', 'uri')
    .option('--images-dir <dir>', 'COCO: folder of the images')
    .option('--show <n>', 'problems to print', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print the summary as JSON', false)
    .action(
      async (
        arg: string,
        o: {
          format?: SourceType;
          shardSize: number;
          allowOutside: boolean;
          checkFiles: boolean;
          readSize: boolean;
          idFrom: string;
          imagesDir?: string;
          show: number;
          json: boolean;
        },
      ) => {
        if (o.idFrom !== 'uri' && o.idFrom !== 'bytes')
          throw Object.assign(new Error(`--id-from must be "uri" or "bytes", got "${o.idFrom}"`), { exitCode: 2 });
        let summary;
        try {
          const source = detectSource(arg, {
            format: o.format,
            allowOutside: o.allowOutside,
            checkFiles: o.checkFiles,
            imagesDir: o.imagesDir,
          });
          const plan = planShards(source, {
            collection: 'check',
            shardSize: o.shardSize,
            readSize: o.readSize,
            checkImages: o.checkFiles,
            idFrom: o.idFrom,
            keepProblems: o.show,
          });
          const tty = !o.json && process.stderr.isTTY;
          for await (const s of plan)
            if (tty)
              process.stderr.write(
                `\r${source.type}: ${s.shard + 1} shards, ${plan.summary.images} images, ${plan.summary.problems} problems`,
              );
          if (tty) process.stderr.write('\n');
          summary = { type: source.type, ...plan.summary };
        } catch (e) {
          throw Object.assign(e as Error, { exitCode: 2 });
        }
        if (o.json) {
          process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        } else {
          const out = [
            `${summary.source} (${summary.type})`,
            `images: ${summary.images} in ${summary.shards} shards of up to ${summary.shardSize}`,
            `problems: ${summary.problems}`,
          ];
          for (const [reason, n] of Object.entries(summary.byReason)) out.push(`  ${reason}: ${n}`);
          for (const p of summary.examples) out.push(`  - ${p.message}`);
          process.stdout.write(out.join('\n') + '\n');
        }
        if (summary.problems) process.exitCode = 1;
      },
    );
}

import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { GENERATE_DEFAULTS, generateWorld } from '../../demo/world/generate.ts';
import { WorldArgumentError } from '../../demo/world/files.ts';
import { exportNoisy } from '../../demo/world/export-noisy.ts';
import { splitOf } from '../../demo/world/export-rows.ts';
import { DEFAULT_NOISE, type NoiseKnobs } from '../../demo/world/labels.ts';
import { readTruth } from '../../demo/world/truth-store.ts';
import { imageIdMap, loadAnnotationRows } from '../../demo/quality/round-rows.ts';
import { scoreAnnotations, type QualityReport } from '../../demo/quality/score.ts';
import { writeVerifiedManifest } from '../../demo/quality/verified-set.ts';

/** `fld world generate` and `fld world export-noisy`: the demo world (docs/architecture.md, "The demo's specialists"). */

/** A numeric option: its text must be a number, else one clear line naming the flag. */
export function numberOption(command: string, flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim()))
    throw new WorldArgumentError(`world ${command}: ${flag} must be a number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function progressBar(
  enabled: boolean,
  label: string,
): { update(done: number, total: number): void; stop(): void } {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {eta}s`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

export function register(program: Command): void {
  const world = program
    .command('world')
    .description('the demo world: synthetic scenes with exact truth, noisy labels, training exports');

  world
    .command('generate')
    .description(
      'draw a world: <out>/collection/ (images + manifest.jsonl for the engine) and <out>/truth/ (Parquet, for the quality module only)',
    )
    .requiredOption('--out <dir>', 'folder to write (empty, or holding the same world)')
    .requiredOption('--images <n>', 'number of images')
    .option('--seed <s>', 'seed; the same seed gives byte-identical images and truth', '0')
    .option('--width <px>', 'image width', String(GENERATE_DEFAULTS.width))
    .option('--height <px>', 'image height', String(GENERATE_DEFAULTS.height))
    .option(
      '--word-probability <p>',
      'probability that an image has written words',
      String(GENERATE_DEFAULTS.wordProbability),
    )
    .option(
      '--alt-text-fraction <p>',
      'fraction of manifest lines with a (noisy) alt-text',
      String(GENERATE_DEFAULTS.altTextFraction),
    )
    .option(
      '--boxes-fraction <p>',
      'fraction of manifest lines with pre-existing (noisy) boxes',
      String(GENERATE_DEFAULTS.boxesFraction),
    )
    .option(
      '--detailed-fraction <p>',
      'fraction of manifest lines with the true detailed caption as a pre-existing human text (excluded from quality figures)',
      String(GENERATE_DEFAULTS.detailedFraction),
    )
    .option(
      '--workers <n>',
      'worker threads drawing images; the output does not depend on it (default: 2 from 200 images, else 1)',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const n = (flag: string, key: string, fallback: number) =>
        numberOption('generate', flag, opts[key] as string | undefined, fallback);
      const options = {
        out: String(opts.out),
        images: n('--images', 'images', NaN),
        seed: n('--seed', 'seed', 0),
        width: n('--width', 'width', GENERATE_DEFAULTS.width),
        height: n('--height', 'height', GENERATE_DEFAULTS.height),
        wordProbability: n('--word-probability', 'wordProbability', GENERATE_DEFAULTS.wordProbability),
        altTextFraction: n('--alt-text-fraction', 'altTextFraction', GENERATE_DEFAULTS.altTextFraction),
        boxesFraction: n('--boxes-fraction', 'boxesFraction', GENERATE_DEFAULTS.boxesFraction),
        detailedFraction: n('--detailed-fraction', 'detailedFraction', GENERATE_DEFAULTS.detailedFraction),
        workers: 1,
      };
      // A worker costs a loader start-up (about a second), so small worlds stay on one thread.
      options.workers = n('--workers', 'workers', options.images >= 200 ? GENERATE_DEFAULTS.workers : 1);
      const bar = progressBar(!opts.json && process.stderr.isTTY === true, 'images');
      const result = await generateWorld(options, (d, t) => bar.update(d, t)).finally(() => bar.stop());
      if (opts.json) process.stdout.write(JSON.stringify({ out: options.out, ...result }) + '\n');
      else
        process.stdout.write(
          `world: ${result.images} images, ${result.objects} objects, ${result.words} words in ${result.seconds.toFixed(1)} s -> ${options.out}\n`,
        );
    });

  const kebab = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  const exp = world
    .command('export-noisy')
    .description(
      "noisy labels from a world's truth (imperfect specialists) and the specialists' training exports from them",
    )
    .requiredOption('--world <dir>', 'a folder made by "fld world generate"')
    .requiredOption('--out <dir>', 'folder for labels/ and one export folder per specialist')
    .option('--seed <s>', 'seed of the noise', '0')
    .option('--valid-fraction <p>', 'fraction of images in the valid split (by image id)', '0.1')
    .option('--format <f>', 'jsonl (image files + annotations.jsonl), parquet, or both', 'both')
    .option('--limit <n>', 'only the first N images (a small training budget)')
    .option('--combined', 'one export folder "all" with every task, instead of one per specialist')
    .option('--json', 'print the summary as JSON');
  for (const [k, v] of Object.entries(DEFAULT_NOISE)) exp.option(`${kebab(k)} <p>`, `noise knob ${k}`, String(v));
  exp.action(async (opts: Record<string, string | boolean | undefined>) => {
    const n = (flag: string, key: string, fallback: number) =>
      numberOption('export-noisy', flag, opts[key] as string | undefined, fallback);
    const noise = Object.fromEntries(
      Object.entries(DEFAULT_NOISE).map(([k, v]) => [k, n(kebab(k), k, v)]),
    ) as unknown as NoiseKnobs;
    const r = await exportNoisy({
      world: String(opts.world),
      out: String(opts.out),
      seed: n('--seed', 'seed', 0),
      noise,
      validFraction: n('--valid-fraction', 'validFraction', 0.1),
      format: String(opts.format) as 'jsonl',
      limit: opts.limit === undefined ? undefined : n('--limit', 'limit', 0),
      combined: opts.combined === true,
    });
    if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
    else
      process.stdout.write(
        `export-noisy: ${r.images} images; ${Object.entries(r.exports)
          .map(([k, v]) => `${k} ${v.rows} rows`)
          .join(', ')} -> ${String(opts.out)}\n`,
      );
  });

  world
    .command('verified')
    .description(
      "make a world a verified set: <world>/collection/verified.jsonl, its manifest with every image's true boxes and captions as human-checked labels (config verified.source)",
    )
    .requiredOption(
      '--world <dir>',
      'a folder made by "fld world generate" (use a seed of its own: neither trained on nor held out)',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { world: string; json?: boolean }) => {
      let r;
      try {
        r = await writeVerifiedManifest(opts.world);
      } catch (e) {
        throw new WorldArgumentError(`world verified: --world ${opts.world}: ${(e as Error).message}`);
      }
      process.stdout.write(
        opts.json
          ? JSON.stringify(r) + '\n'
          : `verified set: ${r.images} images, ${r.boxes} boxes, ${r.texts} texts -> ${r.file}\n`,
      );
    });

  world
    .command('score')
    .description(
      "score annotation rows against a world's truth: box F1 at IoU 0.5, caption precision/recall, grounding accuracy, OCR CER",
    )
    .requiredOption('--world <dir>', 'a folder made by "fld world generate"')
    .requiredOption(
      '--labels <dir>',
      'folder with <kind>.jsonl files or <kind>/*.parquet shards (kind = region_text, text, text_phrase_region)',
    )
    .option(
      '--images <dir>',
      "image records (*.parquet or *.jsonl with image_id, uri) when the rows use the engine's image ids",
    )
    .option(
      '--split <name>',
      'score only the images of this "fld world export-noisy" split (train or valid); not the split of "fld export", whose hash differs: for refinement rounds use a separate held-out world collection and "fld quality --held-out" (docs/refinement.md)',
    )
    .option('--valid-fraction <p>', 'the valid fraction the export used, for --split', '0.1')
    .option('--json', 'print the report as JSON')
    .action(
      async (opts: {
        world: string;
        labels: string;
        images?: string;
        split?: string;
        validFraction: string;
        json?: boolean;
      }) => {
        let truth;
        try {
          truth = await readTruth(opts.world);
        } catch (e) {
          throw new WorldArgumentError(`world score: --world ${opts.world}: ${(e as Error).message}`);
        }
        if (opts.split !== undefined && opts.split !== 'train' && opts.split !== 'valid')
          throw new WorldArgumentError(
            `world score: --split must be train or valid, got ${JSON.stringify(opts.split)}`,
          );
        const fraction = numberOption('score', '--valid-fraction', opts.validFraction, 0.1);
        const scope = opts.split
          ? truth.images.map((i) => i.image_id).filter((id) => splitOf(id, fraction) === opts.split)
          : undefined;
        const ids = opts.images ? await imageIdMap(opts.images, truth.images) : null;
        const report = scoreAnnotations(truth, await loadAnnotationRows(opts.labels), {
          scope,
          ...(ids ? { imageIdOf: (id: string) => ids.get(id) } : {}),
        });
        process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatReport(report));
      },
    );
}

export function formatReport(r: QualityReport): string {
  const f = (v: number) => v.toFixed(3);
  const lines = [
    `images ${r.images}${r.ignored_rows ? ` (${r.ignored_rows} rows of other images not counted)` : ''}`,
    // A figure over nothing (no predicted boxes, no caption of a granularity, no phrase) is not a
    // perfect score: say there was nothing to score instead of printing 1.000.
    r.boxes.tp + r.boxes.fp === 0
      ? `boxes      no boxes predicted  (fn ${r.boxes.fn})`
      : `boxes      F1 ${f(r.boxes.f1)}  precision ${f(r.boxes.precision)}  recall ${f(r.boxes.recall)}  (tp ${r.boxes.tp}, fp ${r.boxes.fp}, fn ${r.boxes.fn})`,
    ...(['brief', 'detailed', 'more_detailed'] as const).map((g) =>
      r.captions[g].captioned === 0
        ? `caption ${g.padEnd(13)} no captions`
        : `caption ${g.padEnd(13)} precision ${f(r.captions[g].precision)}  recall ${f(r.captions[g].recall)}  colour precision ${f(r.captions[g].colour_precision)}  colour recall ${f(r.captions[g].colour_recall)}  (${r.captions[g].captioned} images)`,
    ),
    r.grounding.phrases === 0
      ? 'grounding  no phrases'
      : `grounding  accuracy ${f(r.grounding.accuracy)}  (${r.grounding.correct}/${r.grounding.phrases} phrases)`,
    `ocr        CER ${f(r.ocr.cer)}  (${r.ocr.edits} edits / ${r.ocr.truth_chars} chars; matched ${r.ocr.matched}, missed ${r.ocr.missed}, extra ${r.ocr.extra}; word recall ${f(r.ocr.word_recall)}, precision ${f(r.ocr.word_precision)}, word boxes at IoU 0.5 ${r.ocr.boxes_matched})`,
  ];
  return lines.join('\n') + '\n';
}

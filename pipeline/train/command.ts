import { TrainStageError } from './train-errors.ts';

/**
 * The trainer command line from config `trainCommand` (docs/training-stage.md). The template is split
 * into words like a shell would split it (whitespace; '...' and "..." group, no expansion), then each
 * `{export}`, `{init}`, `{out}`, `{steps}` is replaced. A word that is only `{init}` or `{steps}` with no
 * value (no starting model, no --steps) is dropped together with the flag word right before it, so
 * `--init {init}` disappears for a model trained from scratch. No shell runs: a value with spaces
 * stays one argument.
 */
export const DEFAULT_PYTHON = '/usr/bin/python3';
export const DEFAULT_TRAIN_COMMAND = `${DEFAULT_PYTHON} -m training.train --export {export} --out {out} --init {init} --steps {steps}`;
/** The detector's training (`fld train --family detector`) when config `refine.trainCommands.detector` is null. */
export const DEFAULT_DETECTOR_TRAIN_COMMAND = `${DEFAULT_PYTHON} -m training.train --family detector --export {export} --out {out} --init {init} --steps {steps}`;

export interface CommandValues {
  export: string;
  out: string;
  init: string | null;
  steps: number | null;
}

const PLACEHOLDER = /\{(export|init|out|steps)\}/g;
const OPTIONAL = new Set(['{init}', '{steps}']);

export function splitWords(template: string, field = 'trainCommand'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (const ch of template) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new TrainStageError('bad-input', `train: ${field} has an unclosed ${quote} quote: ${template}`);
  if (inWord) words.push(cur);
  return words;
}

/**
 * argv of the trainer: [program, ...args]. `template` null uses `fallback` (the reference trainer);
 * `field` is the config field the template came from, as errors name it.
 */
export function trainerArgv(
  template: string | null,
  v: CommandValues,
  fallback = DEFAULT_TRAIN_COMMAND,
  field = 'trainCommand',
): string[] {
  const t = template ?? fallback;
  const unknown = [...t.matchAll(/\{([a-z_]*)\}/g)]
    .map((m) => m[1])
    .filter((n) => !['export', 'init', 'out', 'steps'].includes(n));
  if (unknown.length)
    throw new TrainStageError(
      'bad-input',
      `train: ${field} has unknown placeholder {${unknown[0]}} (known: {export} {init} {out} {steps})`,
    );
  const words = splitWords(t, field);
  if (!words.length) throw new TrainStageError('bad-input', `train: ${field} is empty`);
  if (!words.some((w) => w.includes('{out}')))
    throw new TrainStageError('bad-input', `train: ${field} must pass {out}, the model folder to write: ${t}`);
  const value = { export: v.export, out: v.out, init: v.init ?? '', steps: v.steps === null ? '' : String(v.steps) };
  const out: string[] = [];
  for (const w of words) {
    const missing = OPTIONAL.has(w) && value[w.slice(1, -1) as 'init' | 'steps'] === '';
    if (missing) {
      if (out.length > 1 && out[out.length - 1].startsWith('-')) out.pop();
      continue;
    }
    out.push(w.replace(PLACEHOLDER, (_m, name: keyof typeof value) => value[name]));
  }
  return out;
}

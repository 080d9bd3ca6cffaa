import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TrainStageError } from './train-errors.ts';

/**
 * Runs the trainer as its own process group, streams its stdout lines (JSON progress objects, or plain
 * text) to `onLine`, keeps the tail of stderr for the failure message, and kills the whole group
 * (SIGTERM, then SIGKILL after a grace period) when it runs past `timeoutS`, so a trainer's own
 * children (data loaders, a shell wrapper) do not outlive it.
 */
export interface TrainerLine {
  /** The raw line. */
  line: string;
  /** The line parsed, when it is a JSON object (the contract's progress events: {event, ...}). */
  event: Record<string, unknown> | null;
}

export interface RunTrainerOptions {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutS: number;
  onLine?: (l: TrainerLine) => void | Promise<void>;
  /** Seconds between SIGTERM and SIGKILL on timeout. @default 5 */
  graceS?: number;
}

export interface TrainerResult {
  seconds: number;
  /** The last `event` line the trainer printed, if any. */
  lastEvent: Record<string, unknown> | null;
}

const STDERR_TAIL = 4000;

function parseLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Resolves when the trainer exits 0; rejects with TrainStageError ('trainer-exit' or 'timeout') otherwise. */
export function runTrainer(o: RunTrainerOptions): Promise<TrainerResult> {
  const t0 = Date.now();
  const [program, ...args] = o.argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let lastEvent: Record<string, unknown> | null = null;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let pending: Promise<void> = Promise.resolve();
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), (o.graceS ?? 5) * 1000);
    }, o.timeoutS * 1000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_TAIL);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseLine(line);
      if (event && typeof event.event === 'string') lastEvent = event;
      // callbacks run in order and one at a time (job.log / updateProgress are Redis round trips)
      if (o.onLine) pending = pending.then(() => o.onLine!({ line, event })).catch(() => {});
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new TrainStageError(
          'bad-input',
          `train: cannot start the trainer ${program} (${e.code ?? e.message}); check trainCommand`,
        ),
      );
    });
    // a trainer that exits but leaves a child holding stdout open would keep 'close' from firing
    child.on('exit', () => setTimeout(() => killGroup('SIGKILL'), 2000).unref());
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // the group may still hold children the trainer left behind; they go with it
      if (timedOut) killGroup('SIGKILL');
      clearTimeout(killTimer);
      void pending.then(() => {
        const seconds = (Date.now() - t0) / 1000;
        const tail = stderr.trim().split('\n').slice(-5).join(' | ');
        const said =
          lastEvent?.event === 'error' && typeof lastEvent.message === 'string'
            ? ` (trainer: ${lastEvent.message})`
            : '';
        if (timedOut)
          return reject(
            new TrainStageError(
              'timeout',
              `train: the trainer ran past its timeout of ${o.timeoutS} s and was killed (process group)${tail ? `; stderr: ${tail}` : ''}`,
            ),
          );
        if (code !== 0)
          return reject(
            new TrainStageError(
              'trainer-exit',
              `train: the trainer exited with ${code === null ? `signal ${signal}` : `code ${code}`}${said}${tail ? `; stderr: ${tail}` : ''}`,
            ),
          );
        resolve({ seconds, lastEvent });
      });
    });
  });
}

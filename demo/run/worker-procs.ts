import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FLD_BIN = fileURLToPath(new URL('../../bin/fld.js', import.meta.url));

export interface WorkerProc {
  queues: string[];
  pid: number;
  log: string;
  child: ChildProcess;
}

export interface WorkerGroup {
  procs: WorkerProc[];
  /** The first worker that exited on its own (a crash), or null while all run. */
  dead(): WorkerProc | null;
  /** SIGTERM to each worker by pid (they finish the jobs in hand), then wait for every one to exit. */
  stop(graceMs?: number): Promise<void>;
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/**
 * `fld worker` child processes, one per queue set, each logging to `<logDir>/worker-<queues>.log`
 * so their JSON logs do not mix with the demo's own output. Tracked and stopped by pid only.
 */
export function startWorkers(
  sets: string[][],
  opts: { config: string; logDir: string; env: NodeJS.ProcessEnv; concurrency?: number; registry?: string },
): WorkerGroup {
  const procs: WorkerProc[] = sets.map((queues) => {
    const log = join(opts.logDir, `worker-${queues.join('+')}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(
      process.execPath,
      [
        FLD_BIN,
        'worker',
        '--queues',
        queues.join(','),
        '--concurrency',
        String(opts.concurrency ?? 1),
        '--config',
        opts.config,
        ...(opts.registry ? ['--registry', opts.registry] : []),
      ],
      { env: opts.env, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    return { queues, pid: child.pid!, log, child };
  });
  let stopping = false;
  return {
    procs,
    dead: () => (stopping ? null : (procs.find((p) => exited(p.child)) ?? null)),
    async stop(graceMs = 60_000) {
      stopping = true;
      await Promise.all(
        procs.map(async (p) => {
          if (exited(p.child)) return;
          const closed = new Promise<void>((r) => p.child.once('exit', () => r()));
          p.child.kill('SIGTERM');
          const timer = setTimeout(() => !exited(p.child) && p.child.kill('SIGKILL'), graceMs);
          await closed;
          clearTimeout(timer);
        }),
      );
    },
  };
}

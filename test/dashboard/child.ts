import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/fld.js', import.meta.url));

export interface DashboardChild {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** `node bin/fld.js dashboard ...` as a user starts it; resolves once it prints its URL. */
export function startDashboardChild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<DashboardChild> {
  const p: ChildProcess = spawn(process.execPath, [bin, 'dashboard', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /fld dashboard: (http:\/\/\S+\/)\n/.exec(out);
      if (m)
        resolve({
          url: m[1]!,
          output: () => out,
          async stop() {
            p.kill('SIGTERM');
            return exited;
          },
        });
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', (d: Buffer) => (out += d));
    exited.then((code) => reject(new Error(`fld dashboard exited (${code}) before printing its URL:\n${out}`)));
  });
}

import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes a file so that readers see the old file or the whole new one, never a part. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.tmp-${process.pid}-${basename(file)}`);
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Bad arguments or an unusable folder: the CLI prints the message as one line and exits non-zero. */
export class WorldArgumentError extends Error {
  override name = 'WorldArgumentError';
}

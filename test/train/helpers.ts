import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineConfig } from '../../schemas/config.ts';
import { openStorage, type OpenedStorage } from '../../pipeline/storage/open-storage.ts';
import { writeFixtureRound, COLLECTION } from '../export/fixture-round.ts';
import { PYTHON, REPO_ROOT } from '../helpers/florence2-tiny.ts';

/**
 * A training-stage sandbox: the export tests' fixture round (4 exportable images, every task) in a
 * local storage, a registry folder, and a config whose trainCommand is the reference trainer kept
 * tiny (a few steps, batch 4, no fp16 files, one thread) or a script under test/fixtures/train/.
 */
export { COLLECTION, REPO_ROOT };
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/train');
export const TINY_TRAINER = `${PYTHON} -m training.train --export {export} --out {out} --init {init} --steps {steps} --batch 4 --no-fp16 --threads 1 --tasks <CAPTION>,<OD>`;

export interface Sandbox {
  root: string;
  storageDir: string;
  registry: string;
  storage: OpenedStorage;
  config(trainCommand: string | null): EngineConfig;
}

export async function sandbox(prefix: string): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), `fld-train-${prefix}-`));
  const storageDir = join(root, 'data');
  const storage = openStorage(storageDir);
  await writeFixtureRound(storage, join(root, 'images'));
  return {
    root,
    storageDir,
    storage,
    registry: join(root, 'models'),
    // half the images in valid: the reference trainer needs rows in both splits
    config: (trainCommand) =>
      EngineConfig.parse({
        storage: storageDir,
        trainCommand,
        export: { splits: { train: 0.5, valid: 0.5, test: 0 } },
      }),
  };
}

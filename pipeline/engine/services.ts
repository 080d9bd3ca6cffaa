import type { Logger } from 'pino';
import type { Storage } from '../storage/storage.ts';
import type { AdapterPool } from './adapters.ts';
import type { ImageSource } from '../storage/image-source.ts';

/** What stages share within one process: the storage, the loaded models, the image reader, the log, the decode budget. */
export interface Services {
  storage: Storage;
  adapters: AdapterPool;
  images: ImageSource;
  log: Logger;
  /** Config `decodeBudgetMB`: decoded pixels one annotate job holds at once. */
  decodeBudgetMB: number;
}

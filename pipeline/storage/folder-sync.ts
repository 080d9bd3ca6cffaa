import { syncDir } from './durable-file.ts';

/**
 * Group commit of folder fsyncs. A put is durable once its folder is fsynced after its rename, and
 * one fsync that starts after several renames covers them all. So a caller that asks while a sync of
 * the same folder is running waits for the next one, which starts as the running one ends and serves
 * everyone who asked meanwhile. A lone writer sees no change (one sync per put); writers with puts in
 * flight together (shard planning keeps several) pay about one folder fsync per group instead of one
 * each.
 */
export function folderSyncs(sync: (dir: string) => Promise<void> = syncDir): (dir: string) => Promise<void> {
  /** Per folder with a sync running: the callers that the next sync will serve. */
  const waiting = new Map<string, (() => void)[]>();
  const run = (dir: string, served: (() => void)[]): void => {
    const ended = (): void => {
      for (const done of served) done();
      const next = waiting.get(dir) as (() => void)[];
      if (next.length === 0) waiting.delete(dir);
      else {
        waiting.set(dir, []);
        run(dir, next);
      }
    };
    // a failed folder sync is no failed put (syncDir's rule: the entry is as durable as that file system makes it)
    sync(dir).then(ended, ended);
  };
  return (dir) =>
    new Promise((resolve) => {
      const queue = waiting.get(dir);
      if (queue) queue.push(resolve);
      else {
        waiting.set(dir, []);
        run(dir, [resolve]);
      }
    });
}

/** The process's folder syncs: every LocalStorage shares them, so puts to one folder group across instances. */
export const syncFolder = folderSyncs();

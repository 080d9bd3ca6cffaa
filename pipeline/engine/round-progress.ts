import cliProgress from 'cli-progress';
import type { RoundQueue } from './round-queue.ts';
import { roundStatus, type RoundStatus } from './status.ts';

export interface WaitOptions {
  /** Draw a live bar (a terminal); otherwise one line per change, so CI logs show progress too. */
  tty: boolean;
  say: (line: string) => void;
  /** A reason to give up (a worker process died), checked on every poll. */
  abort?: () => string | null;
  pollMs?: number;
}

export const fmtRate = (s: RoundStatus) =>
  s.images.perSecond === null ? '-' : `${s.images.perSecond.toFixed(1)} img/s`;
export const fmtEta = (s: RoundStatus) => (s.images.etaSeconds === null ? '-' : `${Math.round(s.images.etaSeconds)} s`);

// rate and ETA come from the merge done markers only, so the line changes when a shard finishes, not per poll
const line = (s: RoundStatus) =>
  `round ${s.round}: ${s.images.done}/${s.images.total} images, shards ${s.shards.done}/${s.shards.total} done, ${s.shards.active} active, ${s.shards.failed} failed` +
  (s.images.perSecond ? `, ${fmtRate(s)}, ETA ${fmtEta(s)}` : '');

/**
 * Waits until a round is finished (every shard done or failed and the manifest written), showing
 * the same figures as `fld status`: a progress bar in a terminal, a line per change elsewhere.
 * `fld status --watch` and `fld demo` both wait through it.
 */
export async function waitForRound(
  q: RoundQueue,
  key: { collection: string; round: number },
  opts: WaitOptions,
): Promise<RoundStatus> {
  const pollMs = opts.pollMs ?? 1000;
  const bar = opts.tty
    ? new cliProgress.SingleBar(
        {
          format: `round ${key.round} {bar} {value}/{total} images | shards {done}/{shards} | failed {failed} | {rate} | ETA {eta_s}`,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  let last = '';
  try {
    for (;;) {
      const s = await roundStatus(q, key);
      const payload = {
        done: s.shards.done,
        shards: s.shards.total,
        failed: s.shards.failed,
        rate: fmtRate(s),
        eta_s: fmtEta(s),
      };
      if (bar) {
        if (!started) bar.start(Math.max(s.images.total, 1), s.images.done, payload);
        else bar.update(s.images.done, payload);
        bar.setTotal(Math.max(s.images.total, 1));
        started = true;
      } else if (line(s) !== last) {
        last = line(s);
        opts.say(last);
      }
      if (s.finished) return s;
      const why = opts.abort?.();
      if (why) throw new Error(`round ${key.round} of ${key.collection}: ${why}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    if (started) bar!.stop();
  }
}

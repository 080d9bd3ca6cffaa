import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import sharp from 'sharp';
import type { ImageRecord } from '../../schemas/records.ts';
import { IdTable } from './id-table.ts';
import { imageIdFromBytes, imageIdFromNormalUri } from './ids.ts';
import { UriIdHasher } from './uri-ids.ts';
import {
  problem,
  type ProblemReason,
  type Source,
  type SourceEntry,
  type SourceItem,
  type SourceProblem,
} from './types.ts';

/**
 * Shard planning: a source's items -> image records grouped into shards of `shardSize` in the
 * source's own (deterministic) order; shard n holds items n*size .. (n+1)*size-1 of those that
 * became images. Problems (the source's, plus duplicates and unreadable images found here) do not
 * take a place in a shard; they are counted by reason and the first few kept with their messages
 * for `fld status` and the round manifest. Shards stream out as they fill, so planning a huge
 * collection holds one shard plus the table of ids seen (id-table.ts: 24-48 MB per million).
 *
 * Fast path: with ids from URIs and no header reading, each item costs one hash and no I/O beyond
 * what the source does. Reading headers (sharp metadata) or hashing bytes runs `concurrency`
 * items at a time and keeps their order.
 */

export interface PlanOptions {
  collection: string;
  /** Images per shard (default 1000). */
  shardSize?: number;
  /** Image id from the normalised URI (default) or from the image bytes. */
  idFrom?: 'uri' | 'bytes';
  /**
   * Fill width/height from the image header with sharp when the source does not know them; for a
   * local image whose source gives a size, the header is read too and wins when it differs
   * (`onSizeCorrected`): a wrong size would drop every box as outside the image.
   */
  readSize?: boolean;
  /** Called when a local image's header size replaced the size its source gave. */
  onSizeCorrected?: (
    where: string,
    given: { width: number; height: number },
    measured: { width: number; height: number },
  ) => void;
  /**
   * Read the header of every local image file (sharp metadata: the first bytes, not the pixels) and
   * report a file that is no image (empty, text named .png) as `unreadable_image`; remote images are
   * not fetched for it. `readSize` implies it for every image whose size it reads.
   */
  checkImages?: boolean;
  /** Items read at once when reading headers or bytes (default 16). */
  concurrency?: number;
  /** Bytes of a non-local URI (s3://, http), for `idFrom: 'bytes'` and `readSize`; default: the source's own reader. */
  readBytes?: (uri: string) => Promise<Uint8Array>;
  /** Called for every problem as it happens (logging). */
  onProblem?: (p: SourceProblem) => void;
  /** Problems kept with their messages in the summary (default 100). */
  keepProblems?: number;
}

export interface PlannedShard {
  shard: number;
  records: ImageRecord[];
}

export interface PlanSummary {
  source: string;
  images: number;
  shards: number;
  shardSize: number;
  problems: number;
  /** Problems per reason; every reason that occurred, nothing else. */
  byReason: Partial<Record<ProblemReason, number>>;
  /** The first `keepProblems` problems, in source order. */
  examples: SourceProblem[];
}

export const DEFAULT_SHARD_SIZE = 1000;
const NO_TEXTS: ImageRecord['existing_texts'] = Object.freeze([]) as unknown as ImageRecord['existing_texts'];
const NO_BOXES: ImageRecord['existing_boxes'] = Object.freeze([]) as unknown as ImageRecord['existing_boxes'];

export class ShardPlan implements AsyncIterable<PlannedShard> {
  readonly summary: PlanSummary;
  private readonly size: number;
  private readonly seen = new IdTable();
  constructor(
    private readonly source: Source,
    private readonly opts: PlanOptions,
  ) {
    if (!opts.collection) throw new Error('shard plan: collection must be a non-empty name');
    this.size = opts.shardSize ?? DEFAULT_SHARD_SIZE;
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new Error(`shard plan: shardSize must be a positive integer, got ${opts.shardSize}`);
    this.summary = {
      source: source.description,
      images: 0,
      shards: 0,
      shardSize: this.size,
      problems: 0,
      byReason: {},
      examples: [],
    };
  }

  private started = false;

  async *[Symbol.asyncIterator](): AsyncIterator<PlannedShard> {
    // The id table and the summary belong to one pass; a second pass would call every image a duplicate.
    if (this.started) throw new Error(`shard plan of ${this.source.description}: already iterated; make a new plan`);
    this.started = true;
    let records: ImageRecord[] = [];
    const slow = this.opts.readSize || this.opts.checkImages || this.opts.idFrom === 'bytes';
    const batch: SourceItem[] = [];
    const width = this.opts.concurrency ?? 16;
    const take = (c: Candidate | SourceProblem): PlannedShard | undefined => {
      if ('kind' in c) {
        this.report(c);
        return undefined;
      }
      return this.accept(c.record, c.where, records) ? full() : undefined;
    };
    const full = (): PlannedShard => {
      const shard = { shard: this.summary.shards++, records };
      records = [];
      return shard;
    };
    // Fast path: a batch's ids at once (uri-ids.ts), else one crypto.hash each
    const hasher = slow ? null : UriIdHasher.create();
    const uris: string[] = [];
    for await (const entries of entryBatches(this.source)) {
      if (!slow) {
        if (hasher) {
          // filled by index and cut to length: emptying it would drop its store for every batch
          let u = 0;
          for (const e of entries) if (e.kind !== 'problem') uris[u++] = e.uri;
          if (uris.length !== u) uris.length = u;
          hasher.hash(uris);
          this.seen.touch(hasher.lo, u);
        }
        let k = 0;
        for (const e of entries) {
          if (e.kind === 'problem') {
            this.report(e);
            continue;
          }
          const filled = hasher
            ? this.accept(this.record(e, hasher.ids[k]), e.where, records, hasher.hi[k], hasher.lo[k])
            : this.accept(this.record(e, imageIdFromNormalUri(e.uri)), e.where, records);
          k++;
          if (filled) yield full();
        }
        continue;
      }
      for (const e of entries) {
        if (e.kind === 'problem') {
          this.report(e);
        } else if (batch.push(e) === width) {
          for (const c of await Promise.all(batch.map((it) => this.enrich(it)))) {
            const shard = take(c);
            if (shard) yield shard;
          }
          batch.length = 0;
        }
      }
    }
    for (const c of await Promise.all(batch.map((it) => this.enrich(it)))) {
      const shard = take(c);
      if (shard) yield shard;
    }
    if (records.length) yield full();
  }

  /**
   * Adds a record to the open shard (or reports why not); true when the shard is full. `hi`/`lo`: its
   * id's two words when the caller has them, else read from the id's hex.
   */
  private accept(r: ImageRecord, where: string, records: ImageRecord[], hi = -1, lo = -1): boolean {
    const first =
      hi < 0 ? this.seen.addHex(r.image_id, this.summary.images) : this.seen.add(hi, lo, this.summary.images);
    if (first !== undefined) {
      const same = this.opts.idFrom === 'bytes' ? 'the same bytes' : 'the same normalised uri';
      this.report(
        problem(
          this.source,
          'duplicate',
          where,
          `image id ${r.image_id} (uri ${r.uri}) was already planned as image #${first + 1} (${same}); listed once only`,
          { uri: r.uri },
        ),
      );
      return false;
    }
    this.summary.images++;
    r.shard = this.summary.shards;
    records.push(r);
    return records.length === this.size;
  }

  private record(it: SourceItem, imageId: string): ImageRecord {
    // most images have no annotations of their own: they share one frozen empty list (records are
    // written, never edited)
    return {
      image_id: imageId,
      uri: it.uri,
      width: it.width ?? null,
      height: it.height ?? null,
      collection: this.opts.collection,
      shard: 0,
      alt_text: it.alt_text ?? null,
      existing_texts: it.existing_texts ?? NO_TEXTS,
      existing_boxes: it.existing_boxes ?? NO_BOXES,
      error: null,
    };
  }

  private async enrich(it: SourceItem): Promise<Candidate | SourceProblem> {
    const local = isAbsolute(it.uri);
    const given = it.width !== undefined && it.height !== undefined ? { width: it.width, height: it.height } : null;
    // a local header is cheap: read it to check a size the source gave; a remote one is fetched only when there is none
    const needSize = this.opts.readSize === true && (!given || local);
    const needHeader = needSize || (this.opts.checkImages === true && local);
    const needBytes = this.opts.idFrom === 'bytes';
    let bytes: Uint8Array | undefined;
    try {
      if (needBytes || (needSize && !local)) {
        if (local) bytes = await readFile(it.uri);
        else if (this.opts.readBytes) bytes = await this.opts.readBytes(it.uri);
        else if (this.source.readBytes) bytes = await this.source.readBytes(it.uri);
        else if (needBytes)
          return problem(
            this.source,
            'unreadable_image',
            it.where,
            `cannot hash the bytes of ${it.uri}: no reader for non-local URIs`,
            { uri: it.uri },
          );
      }
      const c: Candidate = {
        record: this.record(it, bytes && needBytes ? imageIdFromBytes(bytes) : imageIdFromNormalUri(it.uri)),
        where: it.where,
      };
      if (needHeader && (bytes || local)) {
        const m = await sharp(bytes ?? it.uri).metadata();
        if (!m.width || !m.height) throw new Error('no width/height in the header');
        // Size after EXIF orientation: the image loader orients before any model sees it, so every
        // box is in oriented pixels (specialists/README.md); the trainer orients too (exif_transpose).
        if (needSize) {
          const measured = { width: m.autoOrient?.width ?? m.width, height: m.autoOrient?.height ?? m.height };
          if (given && (given.width !== measured.width || given.height !== measured.height))
            this.opts.onSizeCorrected?.(it.where, given, measured);
          c.record.width = measured.width;
          c.record.height = measured.height;
        }
      }
      return c;
    } catch (e) {
      // sharp calls an empty file an unsupported format; say what it is
      const empty =
        local &&
        (await stat(it.uri).then(
          (st) => st.isFile() && st.size === 0,
          () => false,
        ));
      return problem(
        this.source,
        'unreadable_image',
        it.where,
        `cannot read ${it.uri}: ${empty ? 'empty file (0 bytes)' : (e as Error).message}`,
        { uri: it.uri },
      );
    }
  }

  private report(p: SourceProblem): void {
    const s = this.summary;
    s.problems++;
    s.byReason[p.reason] = (s.byReason[p.reason] ?? 0) + 1;
    if (s.examples.length < (this.opts.keepProblems ?? 100)) s.examples.push(p);
    this.opts.onProblem?.(p);
  }
}

/** A record on its way into a shard, with where it came from for a duplicate's message. */
type Candidate = { record: ImageRecord; where: string };

/** A source that also hands its entries over a batch at a time (one await per batch, not per entry). */
export interface BatchedSource extends Source {
  entryBatches(): AsyncIterable<readonly SourceEntry[]>;
}

/** The source's entries in batches: its own when it has them, else one entry per batch. */
function entryBatches(source: Source): AsyncIterable<readonly SourceEntry[]> {
  if ('entryBatches' in source && typeof source.entryBatches === 'function')
    return (source as BatchedSource).entryBatches();
  return {
    [Symbol.asyncIterator]() {
      const it = source.entries()[Symbol.asyncIterator]();
      return {
        async next() {
          const r = await it.next();
          return r.done ? { done: true, value: undefined } : { done: false, value: [r.value] };
        },
        async return() {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Plans a source into shards; iterate the result for shards, read `.summary` after. */
export function planShards(source: Source, opts: PlanOptions): ShardPlan {
  return new ShardPlan(source, opts);
}

import type { SchemaElement } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { COLUMNS } from '../../schemas/columns.ts';
import type { ImageRecord } from '../../schemas/records.ts';
import { parquetSchema } from './parquet-schema.ts';
import { snappy as snappyCodec } from './snappy.ts';

/**
 * Image shards -> Parquet bytes, written column by column straight from the records: the same
 * schema, key-value metadata and row groups (1000 rows, then 100,000 each) as the general writer
 * (encode.ts, hyparquet-writer) gives them, and the same rows to any reader (test/shards: the
 * engine's reader and DuckDB), without its per-value work. An enqueue writes every image of a
 * collection through here, where that work was most of planning's cost (docs/decisions.md).
 *
 * One DATA_PAGE_V2 per column chunk, no statistics (nothing reads them: the engine reads shards by
 * row range). `uri` is DELTA_BYTE_ARRAY (a shard's paths share long prefixes), `image_id` (a hex
 * digest) PLAIN uncompressed, `alt_text` and the existing texts PLAIN with SNAPPY, `collection` and
 * `shard` dictionary-encoded (one value per shard as planned), sizes PLAIN INT32, levels RLE runs.
 * Deterministic: the same rows give the same bytes (under one SNAPPY compressor, snappy.ts).
 * hyparquet-writer's byte writer and delta encoder come from its `src/` files (and snappy.ts's
 * fallback SNAPPY): the version is pinned in package.json and the test reads every shard back with
 * DuckDB, so an upgrade that moved them fails there first.
 */

// Parquet's enums (parquet.thrift)
const PAGE_DATA_V2 = 3;
const PAGE_DICTIONARY = 2;
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const ENC_DELTA_BYTE_ARRAY = 7;
const ENC_RLE_DICTIONARY = 8;
const CODEC_UNCOMPRESSED = 0;
const CODEC_SNAPPY = 1;
const TYPE_INT32 = 1;
const TYPE_DOUBLE = 5;
const TYPE_BYTE_ARRAY = 6;

/** A growable byte buffer; one per role, reused from shard to shard (encoding is synchronous). */
class Bytes {
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  /** A thrift compact i32/i64 (zigzag varint); values here are non-negative and below 2^53. */
  zigzag(v: number): void {
    this.varint(v * 2);
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  /** A PLAIN BYTE_ARRAY value: its UTF-8 byte length (4 bytes LE), then the bytes. */
  str(s: string): void {
    this.ensure(4 + 3 * s.length);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  private viewed: Buffer | undefined;
  private dataView: DataView | undefined;
  /** A DataView of the whole buffer (made again after it grows). */
  words(): DataView {
    if (this.viewed !== this.buf || !this.dataView) {
      this.viewed = this.buf;
      this.dataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    }
    return this.dataView;
  }
}

/**
 * RLE runs of levels (the RLE/bit-packed hybrid with runs only: `count << 1` as a varint, then the
 * value in one byte; every level here fits a byte). `add` the levels in order, then `end`.
 */
class Levels {
  readonly out = new Bytes();
  private value = -1;
  private count = 0;
  /** Entries with a level below the column's maximum (nulls, empty lists). */
  nulls = 0;
  values = 0;
  reset(): void {
    this.out.pos = 0;
    this.value = -1;
    this.count = 0;
    this.nulls = 0;
    this.values = 0;
  }
  /** `count` levels of `v` in a row. */
  addRun(v: number, count: number): void {
    this.values += count;
    if (v === this.value) {
      this.count += count;
      return;
    }
    if (this.count) this.flush();
    this.value = v;
    this.count = count;
  }
  add(v: number): void {
    this.values++;
    if (v === this.value) {
      this.count++;
      return;
    }
    if (this.count) this.flush();
    this.value = v;
    this.count = 1;
  }
  end(): void {
    if (this.count) this.flush();
    this.count = 0;
  }
  private flush(): void {
    this.out.varint(this.count * 2);
    this.out.u8(this.value);
  }
}

const out = new Bytes();
const data = new Bytes();
const dict = new Bytes();
const defs = new Levels();
const reps = new Levels();

const raw = new Bytes();
const CREATED_BY = 'fld-engine (hyparquet-writer)';

/** Writes a page header (thrift compact) into `out`. */
function pageHeader(
  type: number,
  uncompressed: number,
  compressed: number,
  values: number,
  nulls: number,
  rows: number,
  encoding: number,
  defBytes: number,
  repBytes: number,
  isCompressed: boolean,
): void {
  out.u8(0x15); // 1: type i32
  out.zigzag(type);
  out.u8(0x15); // 2: uncompressed_page_size
  out.zigzag(uncompressed);
  out.u8(0x15); // 3: compressed_page_size
  out.zigzag(compressed);
  if (type === PAGE_DICTIONARY) {
    out.u8(0x4c); // 7: dictionary_page_header (struct, delta 4)
    out.u8(0x15); // 1: num_values
    out.zigzag(values);
    out.u8(0x15); // 2: encoding
    out.zigzag(ENC_PLAIN);
    out.u8(0x12); // 3: is_sorted false
    out.u8(0);
  } else {
    out.u8(0x5c); // 8: data_page_header_v2 (struct, delta 5)
    out.u8(0x15); // 1: num_values
    out.zigzag(values);
    out.u8(0x15); // 2: num_nulls
    out.zigzag(nulls);
    out.u8(0x15); // 3: num_rows
    out.zigzag(rows);
    out.u8(0x15); // 4: encoding
    out.zigzag(encoding);
    out.u8(0x15); // 5: definition_levels_byte_length
    out.zigzag(defBytes);
    out.u8(0x15); // 6: repetition_levels_byte_length
    out.zigzag(repBytes);
    out.u8(isCompressed ? 0x11 : 0x12); // 7: is_compressed
    out.u8(0);
  }
  out.u8(0);
}

type Leaf = { path: string[]; type: number; maxDef: number; maxRep: number };

/** What the footer says of one column chunk. */
interface Chunk {
  leaf: Leaf;
  offset: number;
  dataOffset: number;
  dictOffset: number; // -1: none
  encodings: number[];
  codec: number;
  values: number;
  compressed: number;
  uncompressed: number;
}

/**
 * Writes one column chunk from what is in `data`, `defs` and `reps` (`dictValues` > 0: `dict`
 * holds a PLAIN dictionary of that many values and `data` the RLE_DICTIONARY indexes).
 */
function chunk(leaf: Leaf, rows: number, snappy: boolean, dictValues: number, encoding = ENC_PLAIN): Chunk {
  const start = out.pos;
  let saved = 0; // what compression saved: the chunk's uncompressed size is its size plus this
  let dictOffset = -1;
  if (dictValues) {
    dictOffset = start;
    const body = dict.view();
    const packed = snappy ? compress(body) : body;
    pageHeader(PAGE_DICTIONARY, body.length, packed.length, dictValues, 0, 0, 0, 0, 0, false);
    out.bytes(packed);
    saved += body.length - packed.length;
    encoding = ENC_RLE_DICTIONARY;
  }
  const dataOffset = out.pos;
  const body = data.view();
  const packed = snappy ? compress(body) : body;
  const r = leaf.maxRep ? reps.out.view() : EMPTY;
  const d = leaf.maxDef ? defs.out.view() : EMPTY;
  const values = leaf.maxDef || leaf.maxRep ? defs.values : rows;
  pageHeader(
    PAGE_DATA_V2,
    r.length + d.length + body.length,
    r.length + d.length + packed.length,
    values,
    leaf.maxDef ? defs.nulls : 0,
    rows,
    encoding,
    d.length,
    r.length,
    snappy,
  );
  out.bytes(r);
  out.bytes(d);
  out.bytes(packed);
  saved += body.length - packed.length;
  const size = out.pos - start;
  return {
    leaf,
    offset: start,
    dataOffset,
    dictOffset,
    encodings: dictValues ? [ENC_PLAIN, ENC_RLE, ENC_RLE_DICTIONARY] : [ENC_RLE, encoding],
    codec: snappy ? CODEC_SNAPPY : CODEC_UNCOMPRESSED,
    values,
    compressed: size,
    uncompressed: size + saved,
  };
}
const EMPTY = new Uint8Array(0);
const compress = snappyCodec.compress;

const leaf = (path: string[], type: number, maxDef: number, maxRep: number): Leaf => ({ path, type, maxDef, maxRep });
const L = {
  image_id: leaf(['image_id'], TYPE_BYTE_ARRAY, 0, 0),
  uri: leaf(['uri'], TYPE_BYTE_ARRAY, 0, 0),
  width: leaf(['width'], TYPE_INT32, 1, 0),
  height: leaf(['height'], TYPE_INT32, 1, 0),
  collection: leaf(['collection'], TYPE_BYTE_ARRAY, 0, 0),
  shard: leaf(['shard'], TYPE_INT32, 0, 0),
  alt_text: leaf(['alt_text'], TYPE_BYTE_ARRAY, 1, 0),
  granularity: leaf(['existing_texts', 'list', 'element', 'granularity'], TYPE_BYTE_ARRAY, 1, 1),
  text: leaf(['existing_texts', 'list', 'element', 'text'], TYPE_BYTE_ARRAY, 1, 1),
  box: leaf(['existing_boxes', 'list', 'element', 'box', 'list', 'element'], TYPE_DOUBLE, 2, 2),
  category: leaf(['existing_boxes', 'list', 'element', 'category'], TYPE_BYTE_ARRAY, 1, 1),
  error: leaf(['error'], TYPE_BYTE_ARRAY, 1, 0),
};

function begin(): void {
  data.pos = 0;
  dict.pos = 0;
  defs.reset();
  reps.reset();
}

/**
 * The UTF-8 bytes of `values` one after another into `raw`, each one's byte count in `lens`. One
 * encode of the joined column when it is all ASCII (a call per value, or a JS loop over strings
 * built by concatenation, costs more); value by value otherwise, so that each is encoded alone.
 */
function gather(values: string[]): void {
  const n = values.length;
  if (lens.length < n) {
    lens = new Int32Array(n);
    prefixes = new Int32Array(n);
  }
  const joined = values.join('');
  raw.pos = 0;
  raw.ensure(3 * joined.length);
  if (raw.buf.write(joined, 0, 'utf8') === joined.length) {
    for (let i = 0; i < n; i++) lens[i] = values[i].length;
    raw.pos = joined.length;
    return;
  }
  for (let i = 0; i < n; i++) {
    const len = raw.buf.write(values[i], raw.pos, 'utf8');
    lens[i] = len;
    raw.pos += len;
  }
}
/**
 * One column's strings. Refilled by index and cut to length (`setLength`), never emptied: `length = 0`
 * drops an array's backing store, and pushing a thousand values back grew it again for every column
 * of every shard (most of the encoder's garbage).
 */
const gathered: string[] = [];
function setLength(a: string[], n: number): void {
  if (a.length !== n) a.length = n;
}

/** `gather`ed values into `data` as PLAIN: each one's length (4 bytes LE), then its bytes. */
function plainGathered(n: number): void {
  data.ensure(raw.pos + 4 * n);
  const from = raw.buf;
  const to = data.buf;
  let o = data.pos;
  for (let i = 0, at = 0; i < n; i++) {
    const len = lens[i];
    to[o] = len & 0xff;
    to[o + 1] = (len >>> 8) & 0xff;
    to[o + 2] = (len >>> 16) & 0xff;
    to[o + 3] = len >>> 24;
    o += 4;
    const end = at + len;
    for (let j = at; j < end; j++) to[o++] = from[j];
    at = end;
  }
  data.pos = o;
}

/**
 * `gathered` into `data` as PLAIN. For ASCII values the column is one string: each value behind
 * its length as four characters whose Latin-1 bytes are the little-endian length, joined and
 * written in one call (a JS loop over the bytes, as `plainGathered` does, cost twice as much).
 * With every value under 128 characters the prefixes are ASCII too, so one UTF-8 write both checks
 * and writes; longer values are checked first. Other columns go value by value.
 */
function plainStrings(): void {
  const n = gathered.length;
  let short = true;
  for (let i = 0; i < n; i++) {
    const v = gathered[i];
    const len = v.length;
    if (len > 127) short = false;
    parts[2 * i] =
      len < 256 ? PREFIXES[len] : String.fromCharCode(len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, len >>> 24);
    parts[2 * i + 1] = v;
  }
  setLength(parts, 2 * n);
  const joined = parts.join('');
  // room for any UTF-8 (at most 3 bytes a UTF-16 unit), so a short count means other than ASCII, never a full buffer
  data.ensure(3 * joined.length);
  const ascii = short
    ? data.buf.write(joined, data.pos, 'utf8') === joined.length
    : Buffer.byteLength(gathered.join(''), 'utf8') === joined.length - 4 * n &&
      data.buf.write(joined, data.pos, 'latin1') === joined.length;
  if (ascii) {
    data.pos += joined.length;
    return;
  }
  gather(gathered);
  plainGathered(n);
}
const parts: string[] = [];
/** For lengths below 256: the four characters whose Latin-1 bytes are the length as a little-endian u32. */
const PREFIXES = Array.from({ length: 256 }, (_, n) => String.fromCharCode(n, 0, 0, 0));

function requiredStrings(rows: readonly ImageRecord[], a: number, b: number, key: 'image_id' | 'uri'): void {
  begin();
  for (let i = a; i < b; i++) gathered[i - a] = rows[i][key];
  setLength(gathered, b - a);
  plainStrings();
}

function optionalStrings(rows: readonly ImageRecord[], a: number, b: number, key: 'alt_text' | 'error'): void {
  begin();
  let k = 0;
  for (let i = a; i < b; i++) {
    const v = rows[i][key];
    if (present(v)) gathered[k++] = v;
  }
  defs.end();
  if (k === 0) return; // nothing to write (the error column, mostly); a length of 0 would drop the store
  setLength(gathered, k);
  plainStrings();
}

function optionalInts(rows: readonly ImageRecord[], a: number, b: number, key: 'width' | 'height'): void {
  begin();
  for (let i = a; i < b; i++) {
    const v = rows[i][key];
    if (present(v)) data.i32(v);
  }
  defs.end();
}

/** An optional column's definition level for `v` (0: null, counted); true when there is a value to write. */
function present<T>(v: T | null | undefined): v is T {
  if (v === null || v === undefined) {
    defs.add(0);
    defs.nulls++;
    return false;
  }
  defs.add(1);
  return true;
}

/** Dictionary-encodes a column whose values repeat (`collection`, `shard`); returns the dictionary's size. */
function dictionary(rows: readonly ImageRecord[], a: number, b: number, key: 'collection' | 'shard'): number {
  begin();
  const index = new Map<string | number, number>();
  const n = b - a;
  if (dictIds.length < n) dictIds = new Int32Array(n);
  const ids = dictIds;
  let last: string | number | undefined;
  let lastId = -1;
  for (let i = a; i < b; i++) {
    const v = rows[i][key];
    if (v !== last) {
      let id = index.get(v);
      if (id === undefined) {
        id = index.size;
        index.set(v, id);
        if (typeof v === 'string') dict.str(v);
        else dict.i32(v);
      }
      last = v;
      lastId = id;
    }
    ids[i - a] = lastId;
  }
  // bit width of the largest index, at least 1 (a width of 0 is legal, but not every reader takes it)
  const width = Math.max(1, Math.ceil(Math.log2(index.size)));
  const bytes = Math.ceil(width / 8);
  data.u8(width);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && ids[j] === ids[i]) j++;
    data.varint((j - i) * 2);
    for (let k = 0, v = ids[i]; k < bytes; k++, v >>>= 8) data.u8(v & 0xff);
    i = j;
  }
  return index.size;
}

/** Each row's dictionary index, reused from column to column. */
let dictIds = new Int32Array(1024);

/**
 * The rows from `i` on whose `list` is empty, up to `b`: each one null entry (repetition 0,
 * definition 0), added as one run (most images have no annotations of their own). Returns the row
 * after them.
 */
function emptyLists(
  rows: readonly ImageRecord[],
  i: number,
  b: number,
  list: 'existing_texts' | 'existing_boxes',
): number {
  let j = i + 1;
  while (j < b && rows[j][list].length === 0) j++;
  reps.addRun(0, j - i);
  defs.addRun(0, j - i);
  defs.nulls += j - i;
  return j;
}

/** A string leaf of a list column: existing_texts' granularity or text, existing_boxes' category. */
function listStrings(
  rows: readonly ImageRecord[],
  a: number,
  b: number,
  list: 'existing_texts' | 'existing_boxes',
  key: 'granularity' | 'text' | 'category',
): void {
  begin();
  for (let i = a; i < b; i++) {
    const entries = rows[i][list] as readonly Record<string, unknown>[];
    if (entries.length === 0) {
      i = emptyLists(rows, i, b, list) - 1;
      continue;
    }
    for (let j = 0; j < entries.length; j++) {
      reps.add(j === 0 ? 0 : 1);
      defs.add(1);
      data.str(entries[j][key] as string);
    }
  }
  reps.end();
  defs.end();
}

function boxes(rows: readonly ImageRecord[], a: number, b: number): void {
  begin();
  for (let i = a; i < b; i++) {
    const list = rows[i].existing_boxes;
    if (list.length === 0) {
      i = emptyLists(rows, i, b, 'existing_boxes') - 1;
      continue;
    }
    for (let j = 0; j < list.length; j++) {
      const box = list[j].box; // four numbers (the schema's; isImageRow checks it)
      for (let c = 0; c < box.length; c++) {
        reps.add(c > 0 ? 2 : j > 0 ? 1 : 0);
        defs.add(2);
        data.f64(box[c]);
      }
    }
  }
  reps.end();
  defs.end();
}

/**
 * DELTA_BYTE_ARRAY of a string column without nulls (`uri`): each value as the length of the prefix
 * it shares with the one before and the rest, the lengths DELTA_BINARY_PACKED. Paths listed from a
 * folder, a manifest or a prefix mostly differ in their last characters, so this is smaller than
 * PLAIN under SNAPPY and costs no compression pass.
 */
function deltaStrings(rows: readonly ImageRecord[], a: number, b: number, key: 'uri'): void {
  begin();
  for (let i = a; i < b; i++) gathered[i - a] = rows[i][key];
  setLength(gathered, b - a);
  const n = gathered.length;
  gather(gathered);
  const buf = raw.buf;
  const words = raw.words();
  // prefixes[i]: bytes value i shares with value i-1; lens[i] becomes the length of the rest. Compared
  // four bytes at a time first: the paths of a folder or a manifest share tens of bytes.
  for (let i = 0, at = 0, prevAt = 0, prevLen = 0; i < n; i++) {
    const len = lens[i];
    const max = len < prevLen ? len : prevLen;
    let p = 0;
    while (p + 4 <= max && words.getUint32(prevAt + p) === words.getUint32(at + p)) p += 4;
    while (p < max && buf[prevAt + p] === buf[at + p]) p++;
    prefixes[i] = p;
    lens[i] = len - p;
    prevAt = at;
    prevLen = len;
    at += len;
  }
  const w = new ByteWriter(16 + 2 * n);
  deltaBinaryPack(w, prefixes.subarray(0, n), 'INT32');
  deltaBinaryPack(w, lens.subarray(0, n), 'INT32');
  data.bytes(w.getBytes());
  data.ensure(raw.pos);
  const to = data.buf;
  let o = data.pos;
  for (let i = 0, at = 0; i < n; i++) {
    const end = at + prefixes[i] + lens[i];
    for (let j = at + prefixes[i]; j < end; j++) to[o++] = buf[j];
    at = end;
  }
  data.pos = o;
}
let lens = new Int32Array(1024);
let prefixes = new Int32Array(1024);

function rowGroup(rows: readonly ImageRecord[], a: number, b: number): Group {
  const n = b - a;
  const start = out.pos;
  const columns: Chunk[] = [];
  requiredStrings(rows, a, b, 'image_id');
  columns.push(chunk(L.image_id, n, false, 0));
  deltaStrings(rows, a, b, 'uri');
  columns.push(chunk(L.uri, n, false, 0, ENC_DELTA_BYTE_ARRAY));
  optionalInts(rows, a, b, 'width');
  columns.push(chunk(L.width, n, false, 0));
  optionalInts(rows, a, b, 'height');
  columns.push(chunk(L.height, n, false, 0));
  let size = dictionary(rows, a, b, 'collection');
  columns.push(chunk(L.collection, n, false, size));
  size = dictionary(rows, a, b, 'shard');
  columns.push(chunk(L.shard, n, false, size));
  optionalStrings(rows, a, b, 'alt_text');
  columns.push(chunk(L.alt_text, n, true, 0));
  listStrings(rows, a, b, 'existing_texts', 'granularity');
  columns.push(chunk(L.granularity, n, false, 0));
  listStrings(rows, a, b, 'existing_texts', 'text');
  columns.push(chunk(L.text, n, true, 0));
  boxes(rows, a, b);
  columns.push(chunk(L.box, n, false, 0));
  listStrings(rows, a, b, 'existing_boxes', 'category');
  columns.push(chunk(L.category, n, false, 0));
  optionalStrings(rows, a, b, 'error');
  columns.push(chunk(L.error, n, false, 0));
  return { columns, rows: n, offset: start, compressed: out.pos - start };
}

interface Group {
  columns: Chunk[];
  rows: number;
  offset: number;
  compressed: number;
}

/** Row groups as the general writer cuts them: 1000 rows, then 100,000 each. */
const groupSize = (g: number): number => (g === 0 ? 1000 : 100_000);

/** Image records -> the Parquet bytes of an image shard with the given key-value metadata. */
export function encodeImageRows(rows: readonly ImageRecord[], meta: Record<string, string>): Uint8Array {
  out.pos = 0;
  out.i32(0x31524150); // PAR1
  const groups: Group[] = [];
  for (let a = 0, g = 0; a < rows.length; g++) {
    const b = Math.min(rows.length, a + groupSize(g));
    groups.push(rowGroup(rows, a, b));
    a = b;
  }
  const footer = out.pos;
  fileMetaData(rows.length, groups, meta);
  out.i32(out.pos - footer);
  out.i32(0x31524150);
  return Uint8Array.prototype.slice.call(out.buf, 0, out.pos);
}

// Thrift compact protocol, for the footer: a field header is the id's delta from the previous
// field's (1-15) with the type; every number here is a non-negative i32 or i64 (zigzag varint).
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

/** Field header for field `id` after field `last` of the same struct (ids here are 1-16, deltas 1-15). */
function field(last: number, id: number, type: number): number {
  out.u8(((id - last) << 4) | type);
  return id;
}
function listHeader(size: number, type: number): void {
  if (size < 15) out.u8((size << 4) | type);
  else {
    out.u8(0xf0 | type);
    out.varint(size);
  }
}
function binary(s: string): void {
  const bytes = Buffer.byteLength(s, 'utf8');
  out.varint(bytes);
  out.ensure(bytes);
  out.pos += out.buf.write(s, out.pos, 'utf8');
}

const REPETITION = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
const TYPES = { INT32: TYPE_INT32, DOUBLE: TYPE_DOUBLE, BYTE_ARRAY: TYPE_BYTE_ARRAY } as const;
const CONVERTED = { UTF8: 0, LIST: 3 } as const;
/** The schema as the footer lists it: parquetSchema's elements, as hyparquet-writer writes them. */
const SCHEMA: SchemaElement[] = parquetSchema(COLUMNS.image);
const LEAVES = Object.values(L).length;

function schemaElement(e: SchemaElement): void {
  let f = 0;
  if (e.type) {
    f = field(f, 1, T_I32);
    out.zigzag(TYPES[e.type as keyof typeof TYPES]);
  }
  if (e.repetition_type) {
    f = field(f, 3, T_I32);
    out.zigzag(REPETITION[e.repetition_type]);
  }
  f = field(f, 4, T_BINARY);
  binary(e.name);
  if (e.num_children !== undefined) {
    f = field(f, 5, T_I32);
    out.zigzag(e.num_children);
  }
  if (e.converted_type) {
    f = field(f, 6, T_I32);
    out.zigzag(CONVERTED[e.converted_type as keyof typeof CONVERTED]);
  }
  if (e.logical_type) {
    f = field(f, 10, T_STRUCT);
    // LogicalType union: STRING is field 1 (an empty StringType), LIST field 3 (an empty ListType)
    out.u8(((e.logical_type.type === 'STRING' ? 1 : 3) << 4) | T_STRUCT);
    out.u8(0);
    out.u8(0);
  }
  out.u8(0);
}

function columnChunk(c: Chunk): void {
  let f = field(0, 2, T_I64); // file_offset
  out.zigzag(c.offset);
  f = field(f, 3, T_STRUCT); // meta_data
  let m = field(0, 1, T_I32);
  out.zigzag(c.leaf.type);
  m = field(m, 2, T_LIST);
  listHeader(c.encodings.length, T_I32);
  for (const e of c.encodings) out.zigzag(e);
  m = field(m, 3, T_LIST);
  listHeader(c.leaf.path.length, T_BINARY);
  for (const p of c.leaf.path) binary(p);
  m = field(m, 4, T_I32);
  out.zigzag(c.codec);
  m = field(m, 5, T_I64);
  out.zigzag(c.values);
  m = field(m, 6, T_I64);
  out.zigzag(c.uncompressed);
  m = field(m, 7, T_I64);
  out.zigzag(c.compressed);
  m = field(m, 9, T_I64);
  out.zigzag(c.dataOffset);
  if (c.dictOffset >= 0) {
    m = field(m, 11, T_I64);
    out.zigzag(c.dictOffset);
  }
  out.u8(0); // end meta_data
  out.u8(0); // end column chunk
  void f;
}

function fileMetaData(numRows: number, groups: Group[], meta: Record<string, string>): void {
  let f = field(0, 1, T_I32); // version
  out.zigzag(2);
  f = field(f, 2, T_LIST);
  listHeader(SCHEMA.length, T_STRUCT);
  for (const e of SCHEMA) schemaElement(e);
  f = field(f, 3, T_I64);
  out.zigzag(numRows);
  f = field(f, 4, T_LIST);
  listHeader(groups.length, T_STRUCT);
  for (const g of groups) {
    let r = field(0, 1, T_LIST);
    listHeader(g.columns.length, T_STRUCT);
    let uncompressed = 0;
    for (const c of g.columns) {
      columnChunk(c);
      uncompressed += c.uncompressed;
    }
    r = field(r, 2, T_I64);
    out.zigzag(uncompressed);
    r = field(r, 3, T_I64);
    out.zigzag(g.rows);
    r = field(r, 5, T_I64);
    out.zigzag(g.offset);
    r = field(r, 6, T_I64);
    out.zigzag(g.compressed);
    out.u8(0);
  }
  const kv = Object.entries(meta);
  f = field(f, 5, T_LIST);
  listHeader(kv.length, T_STRUCT);
  for (const [k, v] of kv) {
    field(0, 1, T_BINARY);
    binary(k);
    field(1, 2, T_BINARY);
    binary(v);
    out.u8(0);
  }
  f = field(f, 6, T_BINARY);
  binary(CREATED_BY);
  // column_orders: TYPE_ORDER (field 1, an empty struct) for every leaf
  f = field(f, 7, T_LIST);
  listHeader(LEAVES, T_STRUCT);
  for (let i = 0; i < LEAVES; i++) {
    out.u8((1 << 4) | T_STRUCT);
    out.u8(0);
    out.u8(0);
  }
  out.u8(0);
}

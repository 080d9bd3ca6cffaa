import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Storage } from '../storage/storage.ts';
import { CocoSource, type CocoOptions } from './coco.ts';
import { Img2datasetSource, isImg2datasetDir } from './img2dataset.ts';
import { LocalFolderSource } from './local-folder.ts';
import { CsvManifestSource } from './manifest-csv.ts';
import { JsonlManifestSource } from './manifest-jsonl.ts';
import { ParquetManifestSource } from './manifest-parquet.ts';
import { parseS3Url, S3PrefixSource } from './s3-prefix.ts';
import { SOURCE_TYPES, SourceError, type Source, type SourceType } from './types.ts';

export interface DetectOptions extends CocoOptions {
  /** Skip detection (`fld enqueue --format`). */
  format?: SourceType;
  /** Manifest root (default: the manifest's folder). */
  root?: string;
  /** CSV delimiter (default ',' or tab for .tsv). */
  delimiter?: string;
  /** Opens the Storage of an `s3://bucket` URL; needed for S3 prefixes. */
  openStorage?: (bucketUrl: string) => Storage;
}

/**
 * Picks the source type from the argument: `s3://...` is an S3 prefix; a folder is img2dataset
 * output when it holds `NNNNN.parquet` beside `NNNNN/`, else a folder of images; a file goes by
 * extension (.jsonl/.ndjson, .csv/.tsv, .parquet: img2dataset when its `NNNNN/` folder is beside
 * it), and a .json file is COCO when it has the COCO shape. `format` overrides all of it.
 */
export function detectType(arg: string): SourceType {
  if (/^s3:\/\//i.test(arg)) return 's3';
  const path = resolve(arg);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new SourceError(arg, 'no such file or folder');
  }
  if (st.isDirectory()) return isImg2datasetDir(path) ? 'img2dataset' : 'folder';
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet') {
    const sub = join(dirname(path), basename(path, extname(path)));
    return /^\d+$/.test(basename(path, extname(path))) && isDir(sub) ? 'img2dataset' : 'parquet';
  }
  if (ext === '.json') {
    if (looksLikeCoco(path)) return 'coco';
    throw new SourceError(
      arg,
      'a .json file that does not look like COCO instances JSON (no top-level "images" array); a manifest should be .jsonl, or pass --format',
    );
  }
  throw new SourceError(
    arg,
    `cannot tell the source type from the extension "${ext}"; pass --format (one of ${SOURCE_TYPES.join(', ')})`,
  );
}

export function detectSource(arg: string, opts: DetectOptions = {}): Source {
  if (opts.format !== undefined && !SOURCE_TYPES.includes(opts.format)) {
    throw new SourceError(arg, `unknown format "${opts.format}" (one of ${SOURCE_TYPES.join(', ')})`);
  }
  const type = opts.format ?? detectType(arg);
  const paths = { allowOutside: opts.allowOutside, checkFiles: opts.checkFiles };
  switch (type) {
    case 's3': {
      if (!opts.openStorage)
        throw new SourceError(arg, 'an S3 prefix needs a storage to list it (no S3 storage configured)');
      const { bucket, prefix } = parseS3Url(arg);
      // Folder semantics, as `aws s3 cp --recursive`: s3://b/photos means photos/, not photos2/ too.
      return new S3PrefixSource(
        opts.openStorage(`s3://${bucket}`),
        prefix && !prefix.endsWith('/') ? prefix + '/' : prefix,
      );
    }
    case 'folder':
      return new LocalFolderSource(arg, { allowOutside: opts.allowOutside });
    case 'img2dataset':
      return new Img2datasetSource(arg, paths);
    case 'jsonl':
      return new JsonlManifestSource(arg, { ...paths, root: opts.root });
    case 'csv':
      return new CsvManifestSource(arg, { ...paths, root: opts.root, delimiter: opts.delimiter });
    case 'parquet':
      return new ParquetManifestSource(arg, { ...paths, root: opts.root });
    case 'coco':
      return new CocoSource(arg, { ...paths, imagesDir: opts.imagesDir });
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Reads the first 64 KiB: a COCO file opens an object whose first arrays are images, annotations or categories. */
function looksLikeCoco(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    return /^\s*\{/.test(head) && /"(images|annotations|categories)"\s*:\s*\[/.test(head);
  } finally {
    closeSync(fd);
  }
}

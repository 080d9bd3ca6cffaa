// s3rver ships no types; this covers the part test/helpers/s3rver.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

// The store's listing, which test/helpers/s3rver-process.ts mends for delimited listings.
declare module 's3rver/lib/stores/filesystem.js' {
  export interface ListObjectsOptions {
    delimiter?: string;
    startAfter?: string;
    prefix?: string;
    maxKeys?: number;
  }
  export interface ListObjectsResult {
    objects: { key: string }[];
    commonPrefixes: string[];
    isTruncated: boolean;
  }
  export default class FilesystemStore {
    listObjects(bucket: string, options: ListObjectsOptions): Promise<ListObjectsResult>;
  }
}

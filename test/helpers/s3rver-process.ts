/**
 * Runs s3rver in its own process for test/helpers/s3rver.ts. It needs
 * `--openssl-legacy-provider`: s3rver 3.7 builds ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node >= 17) refuses, so without it every listing past 1,000 keys fails with
 * HTTP 500. Delimited listings are mended to roll keys up as S3 does (below). Args: <directory>
 * <bucket>. Prints `{"port": N}` once listening; exits when its parent closes stdin (so a crashed
 * test leaves no server behind) or on SIGTERM.
 */
import S3rver from 's3rver';
import FilesystemStore, { type ListObjectsOptions } from 's3rver/lib/stores/filesystem.js';

// s3rver 3.7 rolls only the keys right below a folder up into its common prefix: with Delimiter '/'
// under 'c/', 'c/round-0/text/shard-00000.parquet' alone gives no 'c/round-0/'. S3 rolls up keys at
// any depth, so a delimited listing here lists every key under the prefix and rolls them up as S3
// does; paging stays s3rver's (only objects count toward a page).
const listObjects = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function (bucket: string, options: ListObjectsOptions) {
  const { delimiter, prefix = '', maxKeys = Infinity } = options;
  if (!delimiter) return listObjects.call(this, bucket, options);
  const all = await listObjects.call(this, bucket, { ...options, delimiter: '', maxKeys: Infinity });
  const commonPrefixes = new Set<string>();
  const objects: typeof all.objects = [];
  let isTruncated = false;
  for (const o of all.objects) {
    const at = o.key.indexOf(delimiter, prefix.length);
    if (at >= 0) commonPrefixes.add(o.key.slice(0, at + delimiter.length));
    else if (objects.length < maxKeys) objects.push(o);
    else {
      isTruncated = true;
      break;
    }
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
};

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) {
  console.error('usage: s3rver-process.ts <directory> <bucket>');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = () => {
  server.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);

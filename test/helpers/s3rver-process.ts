/**
 * Runs s3rver in its own process for test/helpers/s3rver.ts. It needs
 * `--openssl-legacy-provider`: s3rver 3.7 builds ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node >= 17) refuses, so without it every listing past 1,000 keys fails with
 * HTTP 500. Args: <directory> <bucket>. Prints `{"port": N}` once listening; exits when its
 * parent closes stdin (so a crashed test leaves no server behind) or on SIGTERM.
 */
import S3rver from 's3rver';

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

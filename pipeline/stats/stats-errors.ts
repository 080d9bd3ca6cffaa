/**
 * Bad input to `fld stats` (a missing or empty round, a shard of another schema_version, a malformed
 * done marker). The CLI turns `exitCode` into the process exit status, so scripts can tell bad input
 * (2) from a crash (1).
 */
export class StatsInputError extends Error {
  override name = 'StatsInputError';
  readonly exitCode = 2;
}

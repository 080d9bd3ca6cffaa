/**
 * Bad input to the export (no such round, an empty round, an image that cannot be read, bad options):
 * the CLI prints the message as one line and exits 2, so scripts can tell bad input from a crash (1).
 */
export class ExportInputError extends Error {
  override name = 'ExportInputError';
  readonly exitCode = 2;
}

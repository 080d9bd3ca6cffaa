/** The version of every shard and manifest this code writes. Readers refuse any other by name. */
export const SCHEMA_VERSION = 1;

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
  constructor(what: string, found: unknown) {
    super(
      `${what}: schema_version ${JSON.stringify(found)} is not supported (this fld-engine reads schema_version ${SCHEMA_VERSION})`,
    );
  }
}

export function checkSchemaVersion(what: string, found: unknown): void {
  if (Number(found) !== SCHEMA_VERSION) throw new SchemaVersionError(what, found);
}

/** SQL literals for file paths and names built into DuckDB queries. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
export const fileList = (files: string[]): string => `[${files.map(sqlString).join(', ')}]`;

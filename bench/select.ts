/**
 * Which benchmarks `npm run bench -- <name> ...` runs: an argument that is a benchmark's exact name
 * (`world` for `world.bench.ts`) selects that one alone, since many names are parts of others
 * (`world` of `ocr-world` and `train-world`, `demo` of `florence2-demo-equality`); any other argument
 * selects every benchmark whose file name contains it (`parquet`). No argument: all of them.
 */
export function selectBenches(files: readonly string[], args: readonly string[]): string[] {
  const benches = files.filter((f) => f.endsWith('.bench.ts')).sort();
  if (args.length === 0) return benches;
  return benches.filter((f) =>
    args.some((a) => (benches.includes(`${a}.bench.ts`) ? f === `${a}.bench.ts` : f.includes(a))),
  );
}

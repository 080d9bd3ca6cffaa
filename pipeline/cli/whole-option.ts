/**
 * A whole-number option checked in the action, not by commander's parser, so a bad value is bad
 * input (exit 2, one line naming the command and the flag). `fail` lets a command raise its own
 * error type for it.
 */
export function wholeOption(
  command: string,
  flag: string,
  v: string | undefined,
  min: number,
  fail: (message: string) => Error = (m) => Object.assign(new Error(m), { exitCode: 2 }),
): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min)
    throw fail(`${command}: ${flag} must be a whole number >= ${min}, got "${v}"`);
  return Number(v);
}

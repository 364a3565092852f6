/**
 * A figure a test measured (a chaos run's counts, a latency under load), printed even when the
 * test passes: test/support/quiet-environment.cjs holds back everything else a test writes.
 */
export function report(line: string): void {
  const print = (globalThis as { __nestjsActivemqReport?: (line: string) => void }).__nestjsActivemqReport;
  if (print) print(line);
  else console.log(line);
}

/**
 * kafkajs 2.2.4's request queue (network/requestQueue, `scheduleCheckPendingRequests`) arms a timer with
 * `throttledUntil - Date.now()`, which is negative whenever no throttling is in force. Node 24 clamps the
 * delay to 1 ms (exactly what kafkajs means: "check again right away") and prints a TimeoutNegativeWarning
 * to stderr, many times per second under load. The warning carries no information about our system, so we
 * drop exactly that one warning type, process-wide, once; every other warning still reaches stderr.
 * kafkajs is in maintenance mode, so this will not be fixed upstream.
 */
let installed = false;
let suppressed = 0;

export function silenceTimeoutNegativeWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === 'TimeoutNegativeWarning') {
      suppressed++;
      return;
    }
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** How many TimeoutNegativeWarnings were dropped (for tests and debugging). */
export function suppressedTimeoutWarnings(): number {
  return suppressed;
}

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built entry point of each long-running service, relative to this file (dist/ next to dist/). */
export const SERVICE_MAINS = {
  producer: fileURLToPath(new URL('../../producer/dist/main.js', import.meta.url)),
  processor: fileURLToPath(new URL('../../processor/dist/main.js', import.meta.url)),
  dashboard: fileURLToPath(new URL('../../../dashboard/dist/server/main.js', import.meta.url)),
} as const;

/**
 * Runs a service's own entry point with the arguments given, in its own process, forwarding SIGINT/SIGTERM,
 * and resolves with its exit code. Each service keeps one way to start (its main, as in its container),
 * and `scam-detector <service> --help` shows that service's own help.
 */
export function runService(service: keyof typeof SERVICE_MAINS, args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [SERVICE_MAINS[service], ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

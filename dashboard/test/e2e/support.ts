import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchHeadlessChromium } from '../../src/bench/chromium.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARD_MAIN = join(REPO, 'dashboard/dist/server/main.js');
export const ARTIFACTS = join(REPO, 'artifacts');

/** A headless Chromium for one test file, and how to close it. */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await launchHeadlessChromium();
  return {
    browser,
    close: () => browser.close(),
  };
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Starts a built service; `ready` resolves when its output matches. Output is kept for failure messages. */
export function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<RunningProcess> {
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const running: RunningProcess = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not become ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(running);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/** Starts the built dashboard on a free port; resolves with its URL once it listens. */
export async function startDashboard(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningProcess & { url: string }> {
  const running = await startProcess(
    [DASHBOARD_MAIN, '--port', '0', ...args],
    env,
    /dashboard listening on port \d+/,
  );
  const port = /dashboard listening on port (\d+)/.exec(running.output())?.[1];
  return { ...running, url: `http://127.0.0.1:${port}` };
}

/** What a page must never do: run injected script, open dialogs, break its CSP, log errors. */
export interface PageWatch {
  dialogs: string[];
  errors: string[];
  cspViolations: () => Promise<string[]>;
  pwned: () => Promise<boolean>;
}

export async function watchPage(page: import('playwright-core').Page): Promise<PageWatch> {
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      w.__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return {
    dialogs,
    errors,
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    pwned: () => page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned !== undefined),
  };
}

/** The number a counter tile shows. */
export async function counter(page: import('playwright-core').Page, name: string): Promise<number> {
  const text = await page.getByTestId(`counter-${name}`).textContent();
  return Number((text ?? '').replace(/[^\d]/g, '') || Number.NaN);
}

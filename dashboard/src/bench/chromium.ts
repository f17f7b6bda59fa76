import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium unless CHROMIUM_PATH says otherwise (playwright-core never downloads a browser). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium, headless, with no background traffic (the network here is closed). playwright's launch() gives
 * every browser a fresh temporary profile of its own (it refuses a --user-data-dir argument).
 */
export function launchHeadlessChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { inertText } from '../../src/shared/text.js';
import type { Stats } from '../../src/shared/wire.js';
import { ARTIFACTS, counter, launchChromium, startDashboard, watchPage } from './support.js';

/** Strings meant to break out of text: markup, script, attribute breakers, template syntax, bidi, huge. */
const HOSTILE = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1;alert(1)">',
  '"><svg/onload=window.__pwned=1>',
  "' autofocus onfocus='window.__pwned=1",
  '</td></tr><tr><td>injected',
  '{{ constructor.constructor("window.__pwned=1")() }}',
  'javascript:window.__pwned=1',
  '0917\u202E7654321\u202C',
  '\u2066\u2067hidden\u2069 zero\u200Bwidth',
  `${'W'.repeat(240)}<b>long</b>`,
];

function result(i: number, caller: string, model: string, processedTs: number): string {
  return JSON.stringify({
    call: {
      caller,
      call_duration: 12.5 + i,
      num_digits: 11,
      hour_of_day: i % 24,
      freq_calls: i % 7,
      ts: processedTs - 0.01,
      note: caller,
    },
    predicted_label: i % 3 === 0 ? 1 : 0,
    predicted_proba: i % 3 === 0 ? [0.2, 0.8] : [0.85, 0.15],
    processed_ts: processedTs,
    model_version: model,
    truth_label: i % 2,
  });
}

let browser: Browser;
let closeBrowser: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ browser, close: closeBrowser } = await launchChromium());
  dir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await closeBrowser?.();
  await rm(dir, { recursive: true, force: true });
});

/** The dashboard with a recording and no broker: KAFKA_BROKERS points at a port nothing listens on. */
async function replay(file: string, args: string[] = []) {
  const dashboard = await startDashboard(['--replay', file, ...args], { KAFKA_BROKERS: '127.0.0.1:1' });
  onTestFinished(async () => {
    expect(await dashboard.stop()).toBe(0);
  });
  return dashboard;
}

describe('replay in Chromium, with no broker', () => {
  it('shows hostile strings in every text field as inert text, and counts malformed rows', async () => {
    const now = Date.now() / 1000;
    const lines = HOSTILE.map((text, i) => result(i, text, text, now + i * 0.001));
    lines.push(result(99, '09171234567', 'knn-ok', now + 0.5));
    lines.push(
      '<script>not json</script>',
      JSON.stringify({ call: { caller: '<b>x</b>' }, predicted_label: '<img>' }),
    );
    const file = join(dir, 'hostile.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const dashboard = await replay(file, ['--speed', '0']);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const watch = await watchPage(page);
    await page.goto(dashboard.url);
    await expect
      .poll(() => page.getByTestId('result-row').count(), { timeout: 10_000 })
      .toBe(HOSTILE.length + 1);
    await page.getByTestId('reveal-callers').check();

    // Newest first: row k shows HOSTILE[length-1-k] after the one clean row.
    const models = await page.getByTestId('cell-model').allTextContents();
    const callers = await page.getByTestId('cell-caller').allTextContents();
    const expected = [...HOSTILE].reverse().map(inertText);
    expect(models.slice(1)).toEqual(
      expected.map((text) => (text.length > 256 ? `${text.slice(0, 255)}…` : text)),
    );
    expect(callers.slice(1)).toEqual(models.slice(1));
    expect(callers[0]).toBe('09171234567');

    const table = page.getByTestId('results-table');
    expect(await table.locator('script, img, svg, b, iframe').count()).toBe(0);
    expect(await page.getByTestId('result-row').count()).toBe(HOSTILE.length + 1); // no row was injected
    expect(await watch.pwned()).toBe(false);
    expect(watch.dialogs).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
    expect(watch.errors).toEqual([]);

    // A very long string neither widens its cell past its limit nor the page past the window.
    const widest = await page
      .getByTestId('cell-caller')
      .evaluateAll((cells) => Math.max(...cells.map((cell) => cell.getBoundingClientRect().width)));
    expect(widest).toBeLessThan(260);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Malformed rows are counted and reported, never fatal.
    await expect.poll(() => page.getByTestId('replay-malformed').textContent()).toBe('2');
    expect(await counter(page, 'total')).toBe(HOSTILE.length + 1);
    await page.close();
  });

  it('replays at the original pace, exports the buffer, and the export replays to the same results', async () => {
    const start = Date.now() / 1000;
    const lines = Array.from({ length: 40 }, (_, i) =>
      result(i, `0917${String(5_000_000 + i)}`, 'knn-replay', start + i * 0.05),
    );
    const file = join(dir, 'paced.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const dashboard = await replay(file, ['--speed', '1']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(dashboard.url);
    await expect
      .poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('replay_done');
    expect(await counter(page, 'total')).toBe(40);
    expect(await page.getByTestId('quality-precision').textContent()).toMatch(/%$/);
    for (const format of ['csv', 'jsonl'] as const) {
      const download = page.waitForEvent('download');
      await page.getByTestId(`export-${format}`).click();
      const saved = join(dir, `export.${format}`);
      await (await download).saveAs(saved);
      const again = await replay(saved, ['--speed', '0']);
      const stats = (await (await fetch(`${again.url}/api/stats`)).json()) as Stats;
      await expect
        .poll(async () => ((await (await fetch(`${again.url}/api/stats`)).json()) as Stats).source.state)
        .toBe('replay_done');
      const recent = (await (await fetch(`${again.url}/api/recent`)).json()) as {
        call: { caller: string };
      }[];
      expect(recent.map((r) => r.call.caller)).toEqual(lines.map((l) => JSON.parse(l).call.caller));
      expect(stats.malformed).toBe(0);
      await again.stop();
    }
    await page.close();
  });

  it('keeps every result that arrives while paused and shows them all on resume', async () => {
    const start = Date.now() / 1000;
    // 60 results 100 ms apart: a slow, steady stream (no sampling), over 6 s.
    const lines = Array.from({ length: 60 }, (_, i) =>
      result(i, `0918${String(1_000_000 + i)}`, 'knn-p', start + i * 0.1),
    );
    const file = join(dir, 'pause.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const dashboard = await replay(file, ['--speed', '1']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(dashboard.url);
    await page.getByTestId('filter-limit').selectOption('100');
    await expect.poll(() => page.getByTestId('result-row').count(), { timeout: 10_000 }).toBeGreaterThan(3);
    await page.getByTestId('pause').click();
    expect(await page.getByTestId('pause').getAttribute('aria-pressed')).toBe('true');
    const frozen = await page.getByTestId('result-row').count();
    await expect
      .poll(async () => Number(await page.getByTestId('held-count').textContent()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(10);
    expect(await page.getByTestId('result-row').count()).toBe(frozen); // the table did not move
    await page.getByTestId('pause').click();
    const seqs = await page
      .getByTestId('result-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    expect(seqs.length).toBeGreaterThan(frozen + 9);
    expect(seqs).toEqual(seqs.map((_, k) => (seqs[0] as number) - k)); // contiguous: nothing lost
    expect(seqs.at(-1)).toBe(1);
    await page.close();
  });

  it('looks right at 1280×720 and at phone width (screenshots kept in artifacts/)', async () => {
    const start = Date.now() / 1000;
    const lines = Array.from({ length: 400 }, (_, i) =>
      result(
        i,
        `09${String(170_000_000 + ((i * 7919) % 800_000_000)).padStart(9, '0')}`,
        i < 200 ? 'knn-old' : 'knn-new',
        start + i * 0.02,
      ),
    );
    const file = join(dir, 'shots.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const dashboard = await replay(file, ['--speed', '1', '--loop']);
    for (const [name, viewport] of [
      ['1280x720', { width: 1280, height: 720 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const page = await browser.newPage({ viewport });
      await page.goto(dashboard.url);
      await expect
        .poll(() => page.getByTestId('result-row').count(), { timeout: 10_000 })
        .toBeGreaterThan(20);
      // A few seconds of history, so the charts have lines to show in the screenshot.
      await expect.poll(() => counter(page, 'total'), { timeout: 15_000 }).toBeGreaterThanOrEqual(200);
      // Every control has an accessible name, and nothing is wider than the screen.
      for (const control of await page.locator('button, input, select, a').all()) {
        const name = await control.evaluate((el) => {
          const labelled =
            el.getAttribute('aria-label') || el.closest('label')?.textContent || el.textContent;
          return (labelled ?? '').trim();
        });
        expect(name.length).toBeGreaterThan(0);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: name === 'phone' });
      await page.close();
    }
  });
});

describe('without a broker', () => {
  it('says "no broker" on the page and in /readyz, and keeps serving', async () => {
    const dashboard = await startDashboard([], { KAFKA_BROKERS: '127.0.0.1:1' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(dashboard.url);
    const began = Date.now();
    await expect
      .poll(() => page.getByTestId('connection').getAttribute('data-state'), {
        timeout: 30_000,
        interval: 250,
      })
      .toBe('no_broker');
    expect(await page.getByTestId('connection').textContent()).toContain('No broker');
    expect((await fetch(`${dashboard.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${dashboard.url}/healthz`)).status).toBe(200);
    await page.close();
    const stopping = Date.now();
    expect(await dashboard.stop()).toBe(0); // a stop while still looking for a broker is clean and quick
    console.log(JSON.stringify({ no_broker_shown_ms: stopping - began, stop_ms: Date.now() - stopping }));
  });
});

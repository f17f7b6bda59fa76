import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  BROKERS,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  PRODUCER_MAIN,
  processorEnv,
  startService,
  testTransport,
  waitForAssignment,
} from '../../../services/processor/test/integration/harness.js';
import type { Stats } from '../../src/shared/wire.js';
import { counter, launchChromium, startDashboard, watchPage } from './support.js';

let browser: Browser;
let closeBrowser: () => Promise<void>;
beforeAll(async () => {
  ({ browser, close: closeBrowser } = await launchChromium());
});
afterAll(async () => {
  await closeBrowser?.();
});

/**
 * The real thing: a Kafka broker (`make test` starts one with scripts/kafka/kafka.sh up), the built processor
 * and producer as child processes, the built dashboard, and the page in Chromium.
 */
describe('live pipeline in Chromium, on the real broker', () => {
  it('shows rows within 10 s of the producer starting, and the counters rise', async () => {
    const topics = await freshTopics(3);
    const model = await modelFile(7);
    const processor = startService(PROCESSOR_MAIN, processorEnv(topics, model.path));
    await waitForAssignment([processor], 3);

    const dashboard = await startDashboard([], {
      KAFKA_BROKERS: BROKERS.join(','),
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      MODEL_PATH: model.path,
    });
    onTestFinished(async () => {
      expect(await dashboard.stop()).toBe(0);
    });
    // The dashboard reads from the latest offset: wait until it is reading before anything is produced.
    await expect
      .poll(async () => (await fetch(`${dashboard.url}/readyz`)).status, { timeout: 30_000, interval: 200 })
      .toBe(200);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const watch = await watchPage(page);
    await page.goto(dashboard.url);
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');
    expect(await page.getByTestId('result-row').count()).toBe(0);

    const started = Date.now();
    // The generator's profile: its events are stamped with the wall clock, so latency is measured.
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: topics.input, PRODUCER_PROFILE: 'default' },
      ['--rate', '200'],
    );
    await expect
      .poll(() => page.getByTestId('result-row').count(), { timeout: 10_000, interval: 100 })
      .toBeGreaterThan(0);
    const firstRowMs = Date.now() - started;
    expect(firstRowMs).toBeLessThan(10_000);

    const before = await counter(page, 'total');
    expect(before).toBeGreaterThan(0);
    await expect.poll(() => counter(page, 'total'), { timeout: 10_000 }).toBeGreaterThan(before);
    expect((await counter(page, 'scam')) + (await counter(page, 'not-scam'))).toBeGreaterThan(before);

    // A bad input lands in the DLQ, and the dead-letter counter rises.
    const input = await testTransport().producer();
    await input.send([{ topic: topics.input, key: 'bad', value: '{"not": "a call"}' }]);
    await expect.poll(() => counter(page, 'dlq'), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);

    // The producer's default profile carries the truth: live quality is measured; the model is the file's.
    await expect
      .poll(() => page.getByTestId('quality-precision').isVisible(), { timeout: 10_000 })
      .toBe(true);
    await expect.poll(() => page.getByTestId('model-version').textContent()).toBe(model.model.version);
    expect(await page.getByTestId('model-k').textContent()).toContain(String(model.model.params.k));

    const stats = (await (await fetch(`${dashboard.url}/api/stats`)).json()) as Stats;
    expect(stats.latency_ms.end_to_end.samples).toBeGreaterThan(0);
    expect(watch.errors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);

    producer.kill('SIGTERM');
    expect(await producer.exited).toBe(0);
    await page.close();
    console.log(JSON.stringify({ name: 'e2e_first_row_ms', value: firstRowMs, unit: 'ms' }));
  });

  it('world profile: quality per scenario, flagged callers from the verdicts topic, and a click on a caller shows its recent calls and features', async () => {
    const topics = await freshTopics(3);
    const model = await modelFile(7);
    const processor = startService(PROCESSOR_MAIN, processorEnv(topics, model.path));
    await waitForAssignment([processor], 3);
    const dashboard = await startDashboard([], {
      KAFKA_BROKERS: BROKERS.join(','),
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      CALLER_VERDICTS_TOPIC: topics.verdicts,
      MODEL_PATH: model.path,
    });
    onTestFinished(async () => {
      expect(await dashboard.stop()).toBe(0);
    });
    await expect
      .poll(async () => (await fetch(`${dashboard.url}/readyz`)).status, { timeout: 30_000, interval: 200 })
      .toBe(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const watch = await watchPage(page);
    await page.goto(dashboard.url);
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');

    // The world at 600x: ten simulated minutes a second, ordinary subscribers and bulk lines among them. It starts
    // at 03:00 in Manila, the quietest hour, named so the test is the same whatever the hour it runs at.
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: topics.input, PRODUCER_PROFILE: 'world' },
      ['--speedup', '600', '--start', '03:00'],
    );
    // At night Wangiri calls first and ordinary subscribers sleep, so wait until ordinary calls have been scored
    // too: at 600x a minute covers ten simulated hours.
    await expect
      .poll(
        () =>
          page
            .getByTestId('scenario-row')
            .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-scenario'))),
        { timeout: 75_000, interval: 500 },
      )
      .toContain('ordinary');

    // The processor flags callers on the compacted verdicts topic; the panel lists them live, and a new page
    // loads them whole.
    const flagged = page.getByTestId('flagged-panel');
    await expect
      .poll(() => flagged.getByTestId('flagged-row').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const callsSince = await flagged.getByTestId('flagged-calls-since').first().textContent();
    expect(Number(callsSince?.replace(/\D/g, ''))).toBeGreaterThanOrEqual(1);
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await fresh.goto(dashboard.url);
    const freshPanel = fresh.getByTestId('flagged-panel');
    await expect.poll(() => freshPanel.getAttribute('data-loaded')).toBe('true');
    // Whole from the first snapshot (callers are flagged and cleared all the time at 600x: the set moves on).
    expect(await freshPanel.getByTestId('flagged-row').count()).toBeGreaterThan(0);
    await fresh.close();

    // At 600x new rows arrive every few milliseconds and the newest row is replaced under the pointer, so do what a
    // user does: pause the live table, then click the caller of the newest row. The drill-down opens on that number
    // with its calls and trends.
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('pause').getAttribute('aria-pressed')).toBe('true');
    const row = page.getByTestId('result-row').first();
    await row.getByTestId('cell-caller').click();
    const panel = page.getByTestId('caller-drilldown');
    await expect.poll(() => panel.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => panel.getByTestId('drilldown-call').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(await panel.getByTestId('drilldown-trends').isVisible()).toBe(true);
    const shown = await panel.getByTestId('drilldown-caller').textContent();
    expect(shown).toMatch(/^09\d\d•••\d{4}$/);
    expect(await panel.locator('[data-feature=calls_24h] [data-testid=trend-latest]').textContent()).toMatch(
      /^\d+$/,
    );
    await panel.getByTestId('drilldown-close').click();
    await expect.poll(() => panel.count()).toBe(0);

    expect(watch.errors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
    producer.kill('SIGTERM');
    expect(await producer.exited).toBe(0);
    await page.close();
  });
});

import { createLogger } from '@scam-detector/core';
import { createMemoryTransport } from '@scam-detector/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/server/dashboard.js';
import type { GroupLag } from '../../src/server/metrics.js';
import { createReplayFeed } from '../../src/server/replay.js';
import { toJsonl } from '../../src/server/results.js';
import { createTransportFeed } from '../../src/server/transport-feed.js';
import { scored, tempDir, writeTemp } from './fixtures.js';

const logger = createLogger('test', 'silent');
const running: RunningDashboard[] = [];
afterEach(async () => {
  for (const dashboard of running.splice(0)) await dashboard.close();
});

async function liveDashboard(groupLag?: () => Promise<readonly GroupLag[]>) {
  const transport = createMemoryTransport();
  const feed = createTransportFeed(transport, {
    outputTopic: 'scored',
    dlqTopic: 'dlq',
    fromBeginning: true,
    logger,
  });
  const dashboard = await startDashboard({
    feed,
    port: 0,
    host: '127.0.0.1',
    logger,
    ...(groupLag ? { groupLag } : {}),
  });
  running.push(dashboard);
  const metrics = async () => (await fetch(`http://127.0.0.1:${dashboard.port}/metrics`)).text();
  return { transport, metrics };
}

describe('dashboard /metrics for monitoring', () => {
  it('observes the pipeline and end-to-end latency of every live result', async () => {
    const { transport, metrics } = await liveDashboard();
    const nowS = Date.now() / 1000;
    const producer = await transport.producer();
    await producer.send(
      [1, 2, 3].map((i) => ({
        topic: 'scored',
        key: null,
        value: JSON.stringify(
          scored(i, { call: { ...scored(i).call, ts: nowS - 2 }, processed_ts: nowS - 1.5 }),
        ),
      })),
    );
    await expect.poll(metrics).toContain('dashboard_result_latency_seconds_count{stage="end_to_end"} 3');
    const text = await metrics();
    expect(text).toContain('dashboard_result_latency_seconds_count{stage="pipeline"} 3');
    // Pipeline: 0.5 s, in the (0.25, 0.5] bucket; end to end: about 2 s, above 1 s.
    expect(text).toContain('dashboard_result_latency_seconds_bucket{le="0.25",stage="pipeline"} 0');
    expect(text).toContain('dashboard_result_latency_seconds_bucket{le="0.5",stage="pipeline"} 3');
    expect(text).toContain('dashboard_result_latency_seconds_bucket{le="1",stage="end_to_end"} 0');
  });

  it('observes no latency for a replayed recording (it would measure the recording age)', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'r.jsonl', toJsonl([scored(1), scored(2)]));
    const dashboard = await startDashboard({
      feed: createReplayFeed({ path, speed: 0, loop: false }),
      port: 0,
      host: '127.0.0.1',
      logger,
    });
    running.push(dashboard);
    const metrics = async () => (await fetch(`http://127.0.0.1:${dashboard.port}/metrics`)).text();
    await expect.poll(metrics).toContain('dashboard_events_total{kind="scored"} 2');
    expect(await metrics()).not.toContain('dashboard_result_latency_seconds_count{stage');
  });

  it("reports the processors' group lag and the input end offsets read on each scrape", async () => {
    let lag = 5;
    const { metrics } = await liveDashboard(async () => [
      { group: 'processor_group', topic: 'calls_raw', partition: 0, lag, endOffset: 100 },
      { group: 'processor_group', topic: 'calls_raw', partition: 1, lag: 0, endOffset: 40 },
    ]);
    let text = await metrics();
    expect(text).toContain(
      'dashboard_consumer_group_lag{group="processor_group",topic="calls_raw",partition="0"} 5',
    );
    expect(text).toContain(
      'dashboard_consumer_group_lag{group="processor_group",topic="calls_raw",partition="1"} 0',
    );
    expect(text).toContain('dashboard_input_end_offset{topic="calls_raw",partition="0"} 100');
    lag = 70;
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the half-second reuse of a read
    text = await metrics();
    expect(text).toContain(
      'dashboard_consumer_group_lag{group="processor_group",topic="calls_raw",partition="0"} 70',
    );
  });

  it('leaves the lag out, never stale, when the broker cannot be read, and still serves the rest', async () => {
    let fail = false;
    const { metrics } = await liveDashboard(async () => {
      if (fail) throw new Error('broker down');
      return [{ group: 'g', topic: 't', partition: 0, lag: 9, endOffset: 9 }];
    });
    expect(await metrics()).toContain('dashboard_consumer_group_lag{group="g",topic="t",partition="0"} 9');
    fail = true;
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the half-second reuse of a read
    const text = await metrics();
    expect(text).not.toContain('dashboard_consumer_group_lag{');
    expect(text).not.toContain('dashboard_input_end_offset{');
    expect(text).toContain('process_resident_memory_bytes');
  });
});

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type ProcessorStatus } from '../src/app.js';
import { createProcessorMetrics } from '../src/metrics.js';

describe('processor HTTP', () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function serve(status: ProcessorStatus) {
    const metrics = createProcessorMetrics();
    metrics.dlq.inc({ reason: 'invalid_json' }, 3);
    const server = createApp({
      registry: metrics.registry,
      status: () => status,
      readyGauge: metrics.ready,
    }).listen(0);
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('is not ready without a model, or without partitions, and says why', async () => {
    const url = await serve({ modelVersion: undefined, assignedPartitions: 0, consuming: false });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { problems: string[] }).problems).toEqual([
      'no valid model loaded',
      'not consuming',
    ]);
    const idle = await serve({ modelVersion: 'knn-1', assignedPartitions: 0, consuming: true });
    expect(((await (await fetch(`${idle}/readyz`)).json()) as { problems: string[] }).problems).toEqual([
      'no partitions assigned',
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('is ready with a model and partitions', async () => {
    const url = await serve({ modelVersion: 'knn-1', assignedPartitions: 3, consuming: true });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ready: true,
      model_version: 'knn-1',
      assigned_partitions: 3,
    });
  });

  it('serves Prometheus text from its registry', async () => {
    const url = await serve({ modelVersion: 'knn-1', assignedPartitions: 3, consuming: true });
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain('processor_dlq_total{reason="invalid_json"} 3');
    expect(text).toContain('process_resident_memory_bytes');
    // Every dead-letter reason and model-load result exists from the start, at 0 where nothing happened.
    expect(text).toContain('processor_dlq_total{reason="missing_field"} 0');
    expect(text).toContain('processor_model_loads_total{result="rejected"} 0');
  });

  it('exports processor_ready by the same rule as /readyz', async () => {
    const ready = await serve({ modelVersion: 'knn-1', assignedPartitions: 3, consuming: true });
    expect(await (await fetch(`${ready}/metrics`)).text()).toMatch(/^processor_ready 1$/m);
    const standby = await serve({ modelVersion: 'knn-1', assignedPartitions: 0, consuming: true });
    expect(await (await fetch(`${standby}/metrics`)).text()).toMatch(/^processor_ready 0$/m);
  });
});

import type { AddressInfo } from 'node:net';
import { createMemoryTransport, MemoryBus } from '@scam-detector/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { countingProducer, createProducerApp, createProducerMetrics } from '../src/app.js';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(connected: () => boolean, metrics = createProducerMetrics()) {
  const server = createProducerApp({ registry: metrics.registry, connected }).listen(0);
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the producer's HTTP surface", () => {
  it('is alive at once and ready only once connected to the broker', async () => {
    let connected = false;
    const url = await serve(() => connected);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    connected = true;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('counts the events the broker acknowledged', async () => {
    const metrics = createProducerMetrics();
    const url = await serve(() => true, metrics);
    const transport = createMemoryTransport(new MemoryBus());
    const producer = countingProducer(await transport.producer(), metrics);
    await producer.send([
      { topic: 't', key: 'a', value: '1' },
      { topic: 't', key: 'b', value: '2' },
      { topic: 't', key: 'c', value: '3' },
    ]);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^scam_producer_events_sent_total 3$/m);
    expect(text).toContain('scam_producer_send_duration_seconds_count 1');
    await transport.close();
  });
});

import type { AddressInfo } from 'node:net';
import {
  createMemoryTransport,
  MemoryBus,
  type ProducedRecord,
  type Producer,
  TransportUnavailableError,
} from '@scam-detector/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { countingProducer, createProducerApp, createProducerMetrics, patientProducer } from '../src/app.js';

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

/** A producer whose first `failures` sends fail with `error` (the broker is away), then acknowledge. */
function flaky(failures: number, error: Error) {
  const acknowledged: ProducedRecord[][] = [];
  let attempts = 0;
  const producer: Producer = {
    async send(records) {
      attempts++;
      if (attempts <= failures) throw error;
      acknowledged.push([...records]);
    },
    close: async () => undefined,
  };
  return { producer, acknowledged, attempts: () => attempts };
}

const unreachable = () =>
  new TransportUnavailableError('BROKER_UNREACHABLE', 'no Kafka broker answers at k:9092');

describe('patientProducer: a broker that stops answering is waited for', () => {
  it('sends the same batch again until the broker takes it, saying why it waits and when it is over', async () => {
    const fake = flaky(2, unreachable());
    const said: (string | undefined)[] = [];
    const patient = patientProducer(fake.producer, {
      signal: new AbortController().signal,
      onWaiting: (reason) => said.push(reason),
    });
    const batch = [{ topic: 't', key: 'a', value: '1' }];
    await patient.send(batch);
    expect(fake.attempts()).toBe(3);
    expect(fake.acknowledged).toEqual([batch]);
    expect(said).toEqual([
      'no Kafka broker answers at k:9092',
      'no Kafka broker answers at k:9092',
      undefined,
    ]);
  });

  it('rethrows at once a failure that waiting cannot mend', async () => {
    const fake = flaky(1, new Error('MESSAGE_TOO_LARGE'));
    const said: (string | undefined)[] = [];
    const patient = patientProducer(fake.producer, {
      signal: new AbortController().signal,
      onWaiting: (reason) => said.push(reason),
    });
    await expect(patient.send([{ topic: 't', key: 'a', value: '1' }])).rejects.toThrow('MESSAGE_TOO_LARGE');
    expect(fake.attempts()).toBe(1);
    expect(said).toEqual([]);
  });

  it("gives up with the broker's error when stopped while waiting", async () => {
    const fake = flaky(Number.POSITIVE_INFINITY, unreachable());
    const abort = new AbortController();
    const patient = patientProducer(fake.producer, {
      signal: abort.signal,
      onWaiting: () => abort.abort(),
    });
    await expect(patient.send([{ topic: 't', key: 'a', value: '1' }])).rejects.toBeInstanceOf(
      TransportUnavailableError,
    );
    expect(fake.acknowledged).toEqual([]);
  });
});

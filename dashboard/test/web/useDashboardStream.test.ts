import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { useDashboardStream } from '../../src/web/composables/useDashboardStream.js';
import { FakeEventSource, snapshot, update, view } from './fake-event-source.js';

function start() {
  const scope = effectScope();
  const stream = scope.run(() =>
    useDashboardStream({ EventSourceImpl: FakeEventSource as unknown as typeof EventSource }),
  );
  if (!stream) throw new Error('no stream');
  return { stream, dispose: () => scope.stop() };
}

beforeEach(() => {
  FakeEventSource.instances = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('useDashboardStream', () => {
  it('shows the snapshot newest first, then adds updates without duplicates', () => {
    const { stream, dispose } = start();
    expect(stream.connection.value).toBe('connecting');
    FakeEventSource.latest().send('snapshot', snapshot([view(1), view(2), view(3)]));
    expect(stream.events.value.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(stream.connection.value).toBe('live');
    FakeEventSource.latest().send('update', update([view(3), view(4), view(5)], 'server-a', 2));
    expect(stream.events.value.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(stream.skipped.value).toBe(2);
    dispose();
  });

  it('holds what arrives while paused and merges it on resume, losing nothing', () => {
    const { stream, dispose } = start();
    const source = FakeEventSource.latest();
    source.send('snapshot', snapshot([view(1)]));
    stream.pause();
    source.send('update', update([view(2), view(3)]));
    source.send('update', update([view(4)]));
    expect(stream.events.value.map((e) => e.seq)).toEqual([1]); // the table does not move
    expect(stream.held.value.length).toBe(3);
    expect(stream.stats.value?.total_scored).toBe(10); // counters keep moving
    stream.resume();
    expect(stream.events.value.map((e) => e.seq)).toEqual([4, 3, 2, 1]);
    expect(stream.held.value).toEqual([]);
    dispose();
  });

  it('keeps at most the capacity, newest first', () => {
    const { stream, dispose } = start();
    const events = Array.from({ length: 1200 }, (_, i) => view(i + 1));
    FakeEventSource.latest().send('snapshot', { ...snapshot(events), buffer_size: 1000 });
    expect(stream.events.value.length).toBe(1000);
    expect(stream.events.value[0]?.seq).toBe(1200);
    dispose();
  });

  it('reports the source state: no broker, replay', () => {
    const { stream, dispose } = start();
    FakeEventSource.latest().send(
      'snapshot',
      snapshot([], 'a', { source: { mode: 'kafka', state: 'no_broker' } }),
    );
    expect(stream.connection.value).toBe('no_broker');
    FakeEventSource.latest().send(
      'snapshot',
      snapshot([], 'a', { source: { mode: 'replay', state: 'replaying' } }),
    );
    expect(stream.connection.value).toBe('replay');
    dispose();
  });

  it('reconnects with a growing back-off when the stream is refused, and starts over on a new server', () => {
    vi.useFakeTimers();
    const { stream, dispose } = start();
    const first = FakeEventSource.latest();
    first.send('snapshot', snapshot([view(7)], 'server-a'));
    first.fail(true);
    expect(stream.connection.value).toBe('reconnecting');
    expect(first.closed).toBe(true);
    vi.advanceTimersByTime(999);
    expect(FakeEventSource.instances.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances.length).toBe(2);
    FakeEventSource.latest().fail(true);
    vi.advanceTimersByTime(1999);
    expect(FakeEventSource.instances.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances.length).toBe(3);
    FakeEventSource.latest().send('snapshot', snapshot([view(1)], 'server-b'));
    expect(stream.connection.value).toBe('live');
    expect(stream.reconnects.value).toBe(2);
    expect(stream.events.value.map((e) => e.seq)).toEqual([1]); // a restarted server numbers from 1 again
    dispose();
  });

  it('lets a broken stream reconnect by itself, and closes it when its scope ends', () => {
    const { stream, dispose } = start();
    const source = FakeEventSource.latest();
    source.send('snapshot', snapshot([view(1)]));
    source.fail(false);
    expect(stream.connection.value).toBe('reconnecting');
    expect(FakeEventSource.instances.length).toBe(1); // EventSource retries on its own
    source.send('snapshot', snapshot([view(1), view(2)]));
    expect(stream.events.value.map((e) => e.seq)).toEqual([2, 1]);
    dispose();
    expect(source.closed).toBe(true);
  });
});

describe('chart series', () => {
  it('is replaced when a second completes, not on every update inside the same second', () => {
    const { stream, dispose } = start();
    const point = (t: number) => ({
      t,
      count: 1,
      scam: 0,
      dlq: 0,
      e2e_p50: 1,
      e2e_p99: 2,
      pipeline_p50: 1,
      pipeline_p99: 2,
    });
    const source = FakeEventSource.latest();
    source.send('snapshot', { ...snapshot([]), series: [point(100)] });
    const first = stream.series.value;
    source.send('update', { ...update([]), series: [{ ...point(100), count: 5 }] });
    expect(stream.series.value).toBe(first);
    source.send('update', { ...update([]), series: [point(100), point(101)] });
    expect(stream.series.value.map((p) => p.t)).toEqual([100, 101]);
    dispose();
  });
});

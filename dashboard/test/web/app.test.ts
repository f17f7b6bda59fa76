import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { effectScope } from 'vue';
import type { ModelInfo } from '../../src/shared/wire.js';
import App from '../../src/web/App.vue';
import { useDashboardStream } from '../../src/web/composables/useDashboardStream.js';
import { FakeEventSource, snapshot, update, view } from './fake-event-source.js';

const model: ModelInfo = {
  current_version: 'v1',
  versions: {},
  file: {
    path: 'models/model.json',
    version: 'v1',
    created_at: '2026-11-25T08:37:17.645Z',
    k: 101,
    weighting: 'uniform',
    training: { samples: 125000, seed: 42, train_rows: 100000, test_rows: 25000 },
    test: { accuracy: 0.75, precision: 0.69, recall: 0.49, f1: 0.58, roc_auc: 0.817, brier: 0.16 },
    read_ms: 0,
  },
  file_error: null,
};
const fetchModel = (async () => new Response(JSON.stringify(model))) as typeof fetch;

function mountApp() {
  const scope = effectScope();
  const stream = scope.run(() =>
    useDashboardStream({ EventSourceImpl: FakeEventSource as unknown as typeof EventSource }),
  );
  const wrapper = mount(App, {
    props: { stream, fetchImpl: fetchModel },
    global: { stubs: { TimeChart: { template: '<figure class="chart-stub"></figure>' } } },
  });
  const dispose = (): void => {
    wrapper.unmount();
    scope.stop();
  };
  return { wrapper, dispose };
}

beforeEach(() => {
  FakeEventSource.instances = [];
});

describe('App', () => {
  it('shows rows, counters, the model panel and the connection state from the stream', async () => {
    const { wrapper, dispose } = mountApp();
    FakeEventSource.latest().send('snapshot', snapshot([view(1), view(2), view(3)]));
    await flushPromises();
    expect(wrapper.findAll('[data-testid=result-row]').length).toBe(3);
    expect(wrapper.get('[data-testid=counter-scam]').text()).toBe('4');
    expect(wrapper.get('[data-testid=connection]').attributes('data-state')).toBe('live');
    expect(wrapper.get('[data-testid=model-k]').text()).toContain('101');
    expect(wrapper.findAll('.chart-stub').length).toBe(3);
    dispose();
  });

  it('pause freezes the table and counts what is held; resume shows all of it', async () => {
    const { wrapper, dispose } = mountApp();
    const source = FakeEventSource.latest();
    source.send('snapshot', snapshot([view(1)]));
    await flushPromises();
    const pause = wrapper.get('[data-testid=pause]');
    await pause.trigger('click');
    expect(pause.attributes('aria-pressed')).toBe('true');
    source.send('update', update([view(2), view(3)]));
    await flushPromises();
    expect(wrapper.findAll('[data-testid=result-row]').length).toBe(1);
    expect(wrapper.get('[data-testid=held-count]').text()).toBe('2');
    expect(pause.text()).toContain('Resume (2 held)');
    await pause.trigger('click');
    expect(wrapper.findAll('[data-testid=result-row]').map((row) => row.attributes('data-seq'))).toEqual([
      '3',
      '2',
      '1',
    ]);
    dispose();
  });

  it('applies the filters to the table', async () => {
    const { wrapper, dispose } = mountApp();
    FakeEventSource.latest().send('snapshot', snapshot([view(1), view(2), view(3), view(4)]));
    await flushPromises();
    await wrapper.get('[data-testid=filter-scam-only]').setValue(true);
    expect(wrapper.findAll('[data-testid=result-row]').map((row) => row.attributes('data-seq'))).toEqual([
      '4',
      '2',
    ]);
    dispose();
  });

  it('shows the replay banner with the malformed count', async () => {
    const { wrapper, dispose } = mountApp();
    FakeEventSource.latest().send(
      'snapshot',
      snapshot([], 'a', {
        source: {
          mode: 'replay',
          state: 'replaying',
          replay: {
            file: 'old.csv',
            speed: 10,
            rows: 5,
            malformed: 2,
            errors: [{ line: 3, reason: 'bad' }],
            loops: 0,
          },
        },
      }),
    );
    await flushPromises();
    expect(wrapper.get('[data-testid=replay-banner]').text()).toContain('old.csv');
    expect(wrapper.get('[data-testid=replay-malformed]').text()).toBe('2');
    dispose();
  });
});

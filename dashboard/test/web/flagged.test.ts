import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { effectScope } from 'vue';
import App from '../../src/web/App.vue';
import FlaggedCallers from '../../src/web/components/FlaggedCallers.vue';
import { useDashboardStream } from '../../src/web/composables/useDashboardStream.js';
import {
  FakeEventSource,
  flaggedCaller,
  flaggedPanel,
  flaggedStatus,
  snapshot,
  update,
  view,
} from './fake-event-source.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

beforeEach(() => {
  FakeEventSource.instances = [];
});

describe('FlaggedCallers', () => {
  it('shows each flagged caller: masked number, first flagged, calls since, score, evidence, model', async () => {
    const row = flaggedCaller(1, { caller: '09181234567', calls_since: 7, score: 0.87 });
    const wrapper = mount(FlaggedCallers, {
      props: { status: flaggedStatus({ count: 1 }), callers: [row], reveal: false },
    });
    const rows = wrapper.findAll('[data-testid=flagged-row]');
    expect(rows.length).toBe(1);
    expect(rows[0]?.attributes('data-caller')).toBe('09181234567');
    expect(wrapper.get('[data-testid=flagged-caller]').text()).toBe('0918•••4567');
    expect(wrapper.get('[data-testid=flagged-calls-since]').text()).toBe('7');
    expect(wrapper.get('[data-testid=flagged-score]').text()).toBe('87%');
    expect(wrapper.get('[data-testid=flagged-first]').text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(wrapper.get('[data-testid=flagged-first]').attributes('title')).toBe(
      new Date(row.first_flagged_ts * 1000).toISOString(),
    );
    expect(wrapper.get('[data-testid=flagged-model]').text()).toBe('knn-0123456789abcdef');
    // The telling features first; every feature in the expansion.
    const summary = wrapper.get('[data-testid=flagged-evidence] summary').text();
    expect(summary).toBe('42 calls/h · 118 callees/24 h · 95% short');
    const all = wrapper
      .findAll('[data-testid=flagged-features] dd')
      .map((dd) => dd.attributes('data-feature'));
    expect(all).toEqual(Object.keys(row.features));
    expect(wrapper.get('[data-testid=flagged-features] dd[data-feature=number_age_seconds]').text()).toBe(
      '50 min ago',
    );
    await wrapper.setProps({ reveal: true });
    expect(wrapper.get('[data-testid=flagged-caller]').text()).toBe('09181234567');
    expect(wrapper.get('[data-testid=flagged-count]').text()).toBe('1');
  });

  it('asks for the drill-down of a caller clicked', async () => {
    const wrapper = mount(FlaggedCallers, {
      props: { status: flaggedStatus(), callers: [flaggedCaller(1), flaggedCaller(2)], reveal: false },
    });
    await wrapper.findAll('[data-testid=flagged-caller]')[1]?.trigger('click');
    expect(wrapper.emitted('select-caller')).toEqual([[flaggedCaller(2).caller]]);
  });

  it('says why it is empty: no verdicts in a replay, a topic still missing, none flagged, still reading', async () => {
    const wrapper = mount(FlaggedCallers, {
      props: { status: flaggedStatus({ state: 'none', topic: undefined }), callers: [], reveal: false },
    });
    const text = () => wrapper.get('[data-testid=flagged-empty]').text();
    expect(text()).toContain('come from the processor');
    expect(wrapper.get('[data-testid=flagged-panel]').attributes('data-state')).toBe('none');
    await wrapper.setProps({ status: flaggedStatus({ state: 'waiting', loaded: false }) });
    expect(text()).toContain('Waiting for the topic caller_verdicts to exist');
    await wrapper.setProps({ status: flaggedStatus({ state: 'live', loaded: false }) });
    expect(text()).toContain('Reading caller_verdicts');
    expect(wrapper.get('[data-testid=flagged-panel]').attributes('data-loaded')).toBe('false');
    await wrapper.setProps({ status: flaggedStatus({ state: 'live', loaded: true }) });
    expect(text()).toBe('No caller is flagged now.');
    expect(wrapper.find('[data-testid=flagged-table]').exists()).toBe(false);
  });

  it('draws the first 50 rows, and all of them on request', async () => {
    const callers = Array.from({ length: 120 }, (_, i) => flaggedCaller(120 - i));
    const wrapper = mount(FlaggedCallers, {
      props: { status: flaggedStatus({ count: 120 }), callers, reveal: false },
    });
    expect(wrapper.findAll('[data-testid=flagged-row]').length).toBe(50);
    await wrapper.get('[data-testid=flagged-show-all]').trigger('click');
    expect(wrapper.findAll('[data-testid=flagged-row]').length).toBe(120);
  });

  it('says when callers were left out by the bound, and counts malformed verdicts', () => {
    const wrapper = mount(FlaggedCallers, {
      props: {
        status: flaggedStatus({ count: 1, limit: 10_000, left_out: 3, malformed: 2 }),
        callers: [flaggedCaller(1)],
        reveal: false,
      },
    });
    expect(wrapper.get('[data-testid=flagged-meta]').text()).toContain(
      '10,000 most recently flagged are kept',
    );
    expect(wrapper.get('[data-testid=flagged-malformed]').text()).toBe('2');
  });

  it('renders hostile strings as text', () => {
    const wrapper = mount(FlaggedCallers, {
      props: {
        status: flaggedStatus({ topic: HOSTILE }),
        callers: [flaggedCaller(1, { caller: HOSTILE, model_version: HOSTILE })],
        reveal: true,
      },
    });
    expect(wrapper.get('[data-testid=flagged-caller]').text()).toBe(HOSTILE);
    expect(wrapper.get('[data-testid=flagged-model]').text()).toBe(HOSTILE);
    expect(wrapper.find('img').exists()).toBe(false);
  });
});

function stream() {
  const scope = effectScope();
  const s = scope.run(() =>
    useDashboardStream({ EventSourceImpl: FakeEventSource as unknown as typeof EventSource }),
  );
  if (!s) throw new Error('no stream');
  return { s, dispose: () => scope.stop() };
}

describe('the panel on the stream', () => {
  it('loads the whole panel from the snapshot, then applies the changes of each update', () => {
    const { s, dispose } = stream();
    const source = FakeEventSource.latest();
    source.send('snapshot', snapshot([], 'a', {}, flaggedPanel([flaggedCaller(1), flaggedCaller(3)])));
    expect(s.flagged.value.map((c) => c.caller)).toEqual([flaggedCaller(3).caller, flaggedCaller(1).caller]);
    expect(s.flaggedStatus.value).toMatchObject({ state: 'live', loaded: true, count: 2 });
    source.send(
      'update',
      update([], 'a', 0, {
        flagged: flaggedStatus({ count: 2 }),
        flagged_delta: {
          upsert: [flaggedCaller(2), flaggedCaller(3, { calls_since: 9 })],
          remove: [flaggedCaller(1).caller],
        },
      }),
    );
    expect(s.flagged.value.map((c) => [c.caller, c.calls_since])).toEqual([
      [flaggedCaller(3).caller, 9],
      [flaggedCaller(2).caller, 1],
    ]);
    // A page that missed a change gets every row: they replace its own.
    source.send('update', update([], 'a', 0, { flagged_callers: [flaggedCaller(5)] }));
    expect(s.flagged.value.map((c) => c.caller)).toEqual([flaggedCaller(5).caller]);
    // An update without panel changes leaves the rows alone.
    const before = s.flagged.value;
    source.send('update', update([], 'a'));
    expect(s.flagged.value).toBe(before);
    dispose();
  });

  it('takes the whole panel again from the snapshot after a reconnection', () => {
    const { s, dispose } = stream();
    const source = FakeEventSource.latest();
    source.send('snapshot', snapshot([], 'a', {}, flaggedPanel([flaggedCaller(1)])));
    source.send('snapshot', snapshot([], 'b', {}, flaggedPanel([flaggedCaller(2)])));
    expect(s.flagged.value.map((c) => c.caller)).toEqual([flaggedCaller(2).caller]);
    dispose();
  });
});

describe('App with the panel', () => {
  const fetchNothing = (async () => new Response('{}', { status: 404 })) as unknown as typeof fetch;

  function mountApp() {
    const scope = effectScope();
    const s = scope.run(() =>
      useDashboardStream({ EventSourceImpl: FakeEventSource as unknown as typeof EventSource }),
    );
    const wrapper = mount(App, {
      props: { stream: s, fetchImpl: fetchNothing },
      global: { stubs: { TimeChart: { template: '<figure class="chart-stub"></figure>' } } },
    });
    return {
      wrapper,
      dispose: () => {
        wrapper.unmount();
        scope.stop();
      },
    };
  }

  it('shows flagged callers live, opens the drill-down of one clicked, and the duplicates dropped', async () => {
    const { wrapper, dispose } = mountApp();
    const source = FakeEventSource.latest();
    source.send(
      'snapshot',
      snapshot([view(1)], 'a', { duplicates: { dropped: 1234, beyond_window: 0, window_offsets: 1 << 20 } }),
    );
    await flushPromises();
    expect(wrapper.get('[data-testid=duplicates-dropped]').text()).toBe('1,234');
    expect(wrapper.find('[data-testid=flagged-empty]').exists()).toBe(true);
    source.send(
      'update',
      update([], 'a', 0, {
        flagged_delta: { upsert: [flaggedCaller(4, { caller: '09187654321' })], remove: [] },
      }),
    );
    await flushPromises();
    expect(wrapper.findAll('[data-testid=flagged-row]').length).toBe(1);
    await wrapper.get('[data-testid=flagged-caller]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid=caller-drilldown]').exists()).toBe(true);
    expect(wrapper.get('[data-testid=drilldown-caller]').text()).toBe('0918•••4321');
    dispose();
  });
});

import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { CallerCall, CallerHistoryView, ScenarioQuality } from '../../src/shared/wire.js';
import CallerDrillDown from '../../src/web/components/CallerDrillDown.vue';
import QualityPanel from '../../src/web/components/QualityPanel.vue';
import ResultsTable from '../../src/web/components/ResultsTable.vue';
import { stats, view } from './fake-event-source.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const call = (seq: number, calls1h: number, extra: Partial<CallerCall> = {}): CallerCall => ({
  seq,
  ts: 1_790_000_000 + seq * 60,
  callee: '09179876543',
  call_duration: 2.5,
  hour_of_day: 23,
  predicted_label: seq > 2 ? 1 : 0,
  p_scam: seq > 2 ? 0.9 : 0.2,
  truth_label: 1,
  scenario: 'wangiri',
  model_version: 'knn-0123456789abcdef',
  features: {
    calls_1m: 1,
    calls_1h: calls1h,
    calls_24h: calls1h,
    distinct_callees_1h: calls1h,
    distinct_callees_24h: calls1h,
    short_share_24h: 1,
    night_share_24h: 1,
    mean_duration_24h: 2.5,
    seconds_since_previous: 60,
    number_age_seconds: seq * 60,
  },
  ...extra,
});

/** A fetch that answers /api/caller/<number> from a table, and records what was asked. */
function fakeFetch(answers: Record<string, CallerHistoryView | number>) {
  const asked: string[] = [];
  const impl = (async (url: string) => {
    asked.push(url);
    const number = decodeURIComponent(url.split('/').at(-1) ?? '');
    const answer = answers[number];
    if (answer === undefined || typeof answer === 'number') {
      return new Response(JSON.stringify({ error: 'no' }), {
        status: typeof answer === 'number' ? answer : 404,
      });
    }
    return new Response(JSON.stringify(answer));
  }) as unknown as typeof fetch;
  return { impl, asked };
}

describe('CallerDrillDown', () => {
  it("shows the caller's recent calls newest first and how its features evolved", async () => {
    const history: CallerHistoryView = {
      caller: '09171234567',
      calls: [call(1, 1), call(2, 2), call(3, 3)],
      limit: 50,
    };
    const { impl, asked } = fakeFetch({ '09171234567': history });
    const wrapper = mount(CallerDrillDown, {
      props: { caller: '09171234567', reveal: false, fetchImpl: impl },
    });
    await flushPromises();
    expect(asked[0]).toBe('/api/caller/09171234567');
    expect(wrapper.get('[data-testid=drilldown-caller]').text()).toBe('0917•••4567');
    const rows = wrapper.findAll('[data-testid=drilldown-call]');
    expect(rows).toHaveLength(3);
    expect(rows[0]?.classes()).toContain('scam');
    expect(rows[2]?.classes()).not.toContain('scam');
    expect(rows[0]?.text()).toContain('0917•••6543');
    expect(wrapper.get('[data-testid=drilldown-truth]').text()).toBe('scam (wangiri)');
    const calls1h = wrapper.get('[data-feature=calls_1h]');
    expect(calls1h.get('[data-testid=trend-latest]').text()).toBe('3');
    expect(calls1h.find('polyline').attributes('points')?.split(' ')).toHaveLength(3);
    expect(wrapper.get('[data-feature=short_share_24h] [data-testid=trend-latest]').text()).toBe('100%');
    await wrapper.setProps({ reveal: true });
    expect(wrapper.get('[data-testid=drilldown-caller]').text()).toBe('09171234567');
    await wrapper.get('[data-testid=drilldown-close]').trigger('click');
    expect(wrapper.emitted('close')).toHaveLength(1);
    wrapper.unmount();
  });

  it('renders hostile strings from the stream as text', async () => {
    const history: CallerHistoryView = {
      caller: '09171234567',
      calls: [call(1, 1, { scenario: HOSTILE, model_version: HOSTILE })],
      limit: 50,
    };
    const { impl } = fakeFetch({ '09171234567': history });
    const wrapper = mount(CallerDrillDown, {
      props: { caller: '09171234567', reveal: true, fetchImpl: impl },
    });
    await flushPromises();
    expect(wrapper.get('[data-testid=drilldown-truth]').text()).toBe(`scam (${HOSTILE})`);
    expect(wrapper.find('img').exists()).toBe(false);
    wrapper.unmount();
  });

  it('says so when the dashboard has no calls of that number, or cannot load them', async () => {
    const { impl } = fakeFetch({ '09170000000': 500 });
    const unknown = mount(CallerDrillDown, {
      props: { caller: '09179999999', reveal: false, fetchImpl: impl },
    });
    await flushPromises();
    expect(unknown.find('[data-testid=drilldown-empty]').exists()).toBe(true);
    unknown.unmount();
    const failing = mount(CallerDrillDown, {
      props: { caller: '09170000000', reveal: false, fetchImpl: impl },
    });
    await flushPromises();
    expect(failing.get('[data-testid=drilldown-error]').text()).toContain('HTTP 500');
    failing.unmount();
  });
});

describe('selecting a caller', () => {
  it('the results table emits the full number of the clicked caller, even while it shows it masked', async () => {
    const rows = [view(1, { call: { ...view(1).call, caller: '09171234567' } })];
    const wrapper = mount(ResultsTable, { props: { rows, reveal: false, total: 1 } });
    await wrapper.get('[data-testid=cell-caller]').trigger('click');
    expect(wrapper.emitted('select-caller')).toEqual([['09171234567']]);
  });
});

describe('quality by scenario', () => {
  it('shows recall for scam scenarios and the false-positive rate for legitimate ones', () => {
    const base = { precision: null, f1: null, accuracy: null };
    const byScenario: ScenarioQuality[] = [
      {
        ...base,
        scenario: 'wangiri',
        scam: true,
        labelled: 8,
        tp: 6,
        fp: 0,
        tn: 0,
        fn: 2,
        recall: 0.75,
        false_positive_rate: null,
      },
      {
        ...base,
        scenario: 'bulk',
        scam: false,
        labelled: 200,
        tp: 0,
        fp: 2,
        tn: 198,
        fn: 0,
        recall: null,
        false_positive_rate: 0.01,
      },
      {
        ...base,
        scenario: HOSTILE,
        scam: false,
        labelled: 1,
        tp: 0,
        fp: 0,
        tn: 1,
        fn: 0,
        recall: null,
        false_positive_rate: 0,
      },
    ];
    const quality = { ...stats().quality, labelled: 209, tp: 6, fp: 2, tn: 199, fn: 2 };
    const wrapper = mount(QualityPanel, { props: { quality, byScenario } });
    const rows = wrapper.findAll('[data-testid=scenario-row]');
    expect(rows.map((r) => r.attributes('data-scenario'))).toEqual(['wangiri', 'bulk', HOSTILE]);
    expect(rows[0]?.get('[data-testid=scenario-figure]').text()).toBe('recall 75.0%');
    expect(rows[1]?.get('[data-testid=scenario-figure]').text()).toBe('FP 1.00%');
    expect(rows[2]?.text()).toContain(HOSTILE);
    expect(wrapper.find('img').exists()).toBe(false);
  });
});

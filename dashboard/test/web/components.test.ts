import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ConnectionStatus from '../../src/web/components/ConnectionStatus.vue';
import CounterTiles from '../../src/web/components/CounterTiles.vue';
import FilterBar from '../../src/web/components/FilterBar.vue';
import QualityPanel from '../../src/web/components/QualityPanel.vue';
import ResultsTable from '../../src/web/components/ResultsTable.vue';
import { applyFilters, DEFAULT_FILTERS } from '../../src/web/lib/filters.js';
import { stats, view } from './fake-event-source.js';

const HOSTILE = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '"><svg onload=alert(1)>',
  "' onmouseover='alert(1)",
  '{{ 7*7 }}',
];

describe('ResultsTable', () => {
  it('masks callers by default and shows them in full when revealed', async () => {
    const wrapper = mount(ResultsTable, {
      props: {
        rows: [view(1, { call: { ...view(1).call, caller: '09171234567' } })],
        reveal: false,
        total: 1,
      },
    });
    expect(wrapper.get('[data-testid=cell-caller]').text()).toBe('0917•••4567');
    await wrapper.setProps({ reveal: true });
    expect(wrapper.get('[data-testid=cell-caller]').text()).toBe('09171234567');
  });

  it('renders hostile strings as text: no elements, no attributes, no template evaluation', () => {
    const rows = HOSTILE.map((text, i) =>
      view(i + 1, { model_version: text, call: { ...view(i + 1).call, caller: text } }),
    );
    const wrapper = mount(ResultsTable, { props: { rows, reveal: true, total: rows.length } });
    const models = wrapper.findAll('[data-testid=cell-model]').map((cell) => cell.text());
    expect(models).toEqual(HOSTILE);
    const callers = wrapper.findAll('[data-testid=cell-caller]').map((cell) => cell.text());
    expect(callers).toEqual(HOSTILE);
    expect(wrapper.find('script').exists()).toBe(false);
    expect(wrapper.find('img').exists()).toBe(false);
    expect(wrapper.find('svg').exists()).toBe(false);
    expect(wrapper.html()).not.toContain('49');
  });

  it('shows a bidirectional override as a visible replacement character, so it cannot reverse a number', () => {
    const rows = [view(1, { call: { ...view(1).call, caller: '0917\u202E7654321' } })];
    const wrapper = mount(ResultsTable, { props: { rows, reveal: true, total: 1 } });
    expect(wrapper.get('[data-testid=cell-caller]').text()).toBe('0917\uFFFD7654321');
  });

  it('says so when there is nothing to show', () => {
    const wrapper = mount(ResultsTable, { props: { rows: [], reveal: false, total: 0 } });
    expect(wrapper.find('[data-testid=results-empty]').exists()).toBe(true);
  });
});

describe('filters', () => {
  const events = [
    view(6),
    view(5),
    view(4, { call: { ...view(4).call, caller: '09991112222' } }),
    view(3),
    view(2),
    view(1),
  ];

  it('keeps scams only, above a threshold, matching a caller, up to a limit', () => {
    expect(applyFilters(events, { ...DEFAULT_FILTERS, scamOnly: true }).map((e) => e.seq)).toEqual([6, 4, 2]);
    expect(applyFilters(events, { ...DEFAULT_FILTERS, minProbability: 0.5 }).map((e) => e.seq)).toEqual([
      6, 4, 2,
    ]);
    expect(applyFilters(events, { ...DEFAULT_FILTERS, callerQuery: '999 111-2' }).map((e) => e.seq)).toEqual([
      4,
    ]);
    expect(applyFilters(events, { ...DEFAULT_FILTERS, limit: 2 }).map((e) => e.seq)).toEqual([6, 5]);
  });

  it('FilterBar updates the filters and the reveal toggle through v-model', async () => {
    const wrapper = mount(FilterBar, { props: { filters: { ...DEFAULT_FILTERS }, reveal: false } });
    await wrapper.get('[data-testid=filter-scam-only]').setValue(true);
    expect(wrapper.emitted('update:filters')?.at(-1)?.[0]).toMatchObject({ scamOnly: true });
    await wrapper.get('[data-testid=filter-caller]').setValue('0917');
    expect(wrapper.emitted('update:filters')?.at(-1)?.[0]).toMatchObject({ callerQuery: '0917' });
    await wrapper.get('[data-testid=filter-limit]').setValue('100');
    expect(wrapper.emitted('update:filters')?.at(-1)?.[0]).toMatchObject({ limit: 100 });
    await wrapper.get('[data-testid=reveal-callers]').setValue(true);
    expect(wrapper.emitted('update:reveal')?.at(-1)).toEqual([true]);
  });

  it('gives every control an accessible name', () => {
    const wrapper = mount(FilterBar, { props: { filters: { ...DEFAULT_FILTERS }, reveal: false } });
    for (const control of wrapper.findAll('input, select')) {
      const labelled =
        control.attributes('aria-label') || control.element.closest('label')?.textContent?.trim();
      expect(labelled, control.html()).toBeTruthy();
    }
  });
});

describe('panels', () => {
  it('counters show scam, not scam and dead letters', () => {
    const wrapper = mount(CounterTiles, { props: { stats: stats({ scam: 1234, not_scam: 5678, dlq: 9 }) } });
    expect(wrapper.get('[data-testid=counter-scam]').text()).toBe('1,234');
    expect(wrapper.get('[data-testid=counter-not-scam]').text()).toBe('5,678');
    expect(wrapper.get('[data-testid=counter-dlq]').text()).toBe('9');
  });

  it('the quality panel explains the absence of truth, and shows the matrix when there is truth', async () => {
    const wrapper = mount(QualityPanel, { props: { quality: stats().quality } });
    expect(wrapper.find('[data-testid=quality-empty]').exists()).toBe(true);
    await wrapper.setProps({
      quality: {
        labelled: 20,
        tp: 6,
        fp: 2,
        fn: 3,
        tn: 9,
        precision: 0.75,
        recall: 6 / 9,
        f1: 0.7,
        accuracy: 0.75,
      },
    });
    expect(wrapper.get('[data-testid=quality-precision]').text()).toBe('75.0%');
    expect(wrapper.get('[data-testid=quality-recall]').text()).toBe('66.7%');
    expect(wrapper.get('[data-testid=confusion-tp]').text()).toBe('6');
    expect(wrapper.get('[data-testid=confusion-fn]').text()).toBe('3');
  });

  it('the connection state is a live region with a readable label', () => {
    const wrapper = mount(ConnectionStatus, { props: { state: 'no_broker', reconnects: 0 } });
    const status = wrapper.get('[data-testid=connection]');
    expect(status.attributes('role')).toBe('status');
    expect(status.text()).toContain('No broker');
  });
});

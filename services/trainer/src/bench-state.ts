#!/usr/bin/env node
/**
 * Per-caller state: bytes per caller and updates per second for a million callers, and how fast the world
 * simulator makes calls. Prints JSON lines {"name", "value", "unit"}; a benchmark, it reports, never judges.
 *   node --expose-gc services/trainer/dist/bench-state.js [--callers 1000000] [--rounds 3] [--world-days 7]
 * Memory is the growth of V8's heap plus array buffers after a forced GC, so it includes the Map index and
 * the caller strings, not only the state records.
 */
import { parseArgs } from 'node:util';
import { CallerStates, type CallInput, createRandom, STATE_BYTES, simulateWorld } from '@scam-detector/core';

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    'world-days': { type: 'string', default: '7' },
  },
});
const emit = (name: string, value: number, unit: string): void => {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit }));
};
const gc = (globalThis as { gc?: () => void }).gc;
const used = (): number => {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
if (!gc) console.error('run with node --expose-gc for a stable memory figure');

const callerCount = Number(values.callers);
const rounds = Number(values.rounds);
const random = createRandom(1);
const callers = Array.from({ length: callerCount }, (_, i) => `09${String(100_000_000 + i * 7).slice(-9)}`);
const callees = Array.from({ length: 4096 }, (_, i) => `0917${String(i * 2447).padStart(7, '0')}`);
const start = Date.UTC(2026, 0, 5);
const before = used();
const states = new CallerStates();
const input: CallInput = {
  ts: 0,
  call_duration: 0,
  hour_of_day: 0,
  num_digits: 11,
  freq_calls: 0,
  callee: '',
};
const out = new Float64Array(14);
let updates = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < callerCount; i++) {
    input.ts = (start + round * 3_600_000 + i) / 1000;
    input.call_duration = 1 + random.next() * 300;
    input.hour_of_day = 8 + (round % 12);
    input.callee = callees[random.int(0, callees.length - 1)] as string;
    states.update(callers[i] as string, input, round, out);
    updates++;
  }
}
const seconds = (performance.now() - t0) / 1000;
const cpuSeconds = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(c0));
emit('state_record_bytes', STATE_BYTES, 'bytes');
emit('state_callers', states.size, 'callers');
emit('state_bytes_per_caller', (used() - before) / states.size, 'bytes');
emit('state_slab_bytes_per_caller', states.slabBytes / states.size, 'bytes');
emit('state_updates_per_s', updates / seconds, 'updates/s');
// CPU time moves less than wall time when other work shares the cores.
emit('state_updates_per_cpu_s', updates / cpuSeconds, 'updates/s');

// The world: its speed, and the state it leaves (bulk lines and campaigns carry a sketch).
const days = Number(values['world-days']);
const w0 = performance.now();
const wc0 = process.cpuUsage();
let calls = 0;
for (const _ of simulateWorld({ seed: 1, days })) calls++;
const worldSeconds = (performance.now() - w0) / 1000;
const worldCpu = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(wc0));
emit('world_calls', calls, 'calls');
emit('world_seconds', worldSeconds, 's');
emit('world_cpu_seconds', worldCpu, 's');
emit('world_calls_per_s', calls / worldSeconds, 'calls/s');
const worldStates = new CallerStates();
const s0 = performance.now();
for (const { event } of simulateWorld({ seed: 1, days })) worldStates.update(event.caller, event, -1, out);
emit('world_sim_and_update_per_s', calls / ((performance.now() - s0) / 1000), 'calls/s');
emit('world_callers', worldStates.size, 'callers');
emit('world_slab_bytes_per_caller', worldStates.slabBytes / worldStates.size, 'bytes');

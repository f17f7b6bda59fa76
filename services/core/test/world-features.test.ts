import { describe, expect, it } from 'vitest';
import { CallerStates } from '../src/caller-state.js';
import { parseCallEvent } from '../src/contract.js';
import { featuredWorld } from '../src/world-features.js';

const world = {
  seed: 17,
  days: 1,
  subscribers: 1500,
  bulkLines: 6,
  wangiriCampaignsPerDay: 4,
  robocallCampaignsPerDay: 3,
};

describe('train/serve parity of the behavioural features', () => {
  it("gives, value for value, the trainer's features to the processor's path: wire bytes, validator, partitions, offsets, redeliveries", () => {
    const partitions = 3;
    const stores = Array.from({ length: partitions }, () => new CallerStates(16));
    const offsets = new Array<number>(partitions).fill(0);
    const partitionOf = (caller: string): number => Number(BigInt(caller) % BigInt(partitions));
    let compared = 0;
    let scored = 0;
    for (const call of featuredWorld(world, 1)) {
      // The processor's path: the event as it travels, parsed by the one validator, keyed by caller.
      const parsed = parseCallEvent(Buffer.from(JSON.stringify(call.event)));
      if (!parsed.ok) throw new Error(parsed.detail);
      const p = partitionOf(parsed.event.caller);
      const store = stores[p] as CallerStates;
      const offset = offsets[p] as number;
      offsets[p] = offset + 1;
      const served = store.update(parsed.event.caller, parsed.event, offset);
      expect(served.applied).toBe(true);
      expect([...served.features]).toEqual([...call.features]);
      // Every 50th event is redelivered (a consumer restarted before committing): recognised, not counted twice.
      if (compared % 50 === 0)
        expect(store.update(parsed.event.caller, parsed.event, offset).applied).toBe(false);
      compared++;
      if (call.scored) scored++;
    }
    expect(compared).toBeGreaterThan(10_000);
    expect(scored).toBeGreaterThan(compared / 3);
    expect(stores.reduce((n, s) => n + s.redeliveries, 0)).toBe(Math.ceil(compared / 50));
  });
});

import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { seedArgument } from '../src/commands.js';

describe('the --seed argument', () => {
  it('takes a whole number as it is', () => {
    expect(seedArgument('42')).toBe(42);
    expect(seedArgument('0')).toBe(0);
  });

  it('draws a new seed for "random" at each run, so a retrain learns from new data', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => seedArgument('random')));
    expect(seeds.size).toBeGreaterThan(15);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true);
  });

  it('refuses anything else with a clear message', () => {
    expect(() => seedArgument('-1')).toThrow(InvalidArgumentError);
    expect(() => seedArgument('abc')).toThrow('must be a whole number or "random"');
  });
});

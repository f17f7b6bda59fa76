/**
 * A seeded pseudo-random generator (sfc32, seeded through splitmix32): the same seed always yields the
 * same stream, on every platform. Math.random is never used for anything that must be reproducible.
 */
export interface Random {
  /** Uniform float in [0, 1) with 53 bits of precision. */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const seeder = splitmix32((seed ^ Math.floor(seed / 2 ** 32)) >>> 0);
  let a = seeder();
  let b = seeder();
  let c = seeder();
  let d = seeder();
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next32();
  const next = (): number => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
  };
}

/** Derives an independent stream for a named purpose, so adding draws to one purpose never shifts another. */
export function deriveSeed(seed: number, purpose: string): number {
  let hash = 2166136261 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) hash = Math.imul(hash ^ purpose.charCodeAt(i), 16777619);
  return hash >>> 0;
}

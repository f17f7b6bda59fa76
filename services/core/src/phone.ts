import type { Random } from './random.js';

/** Prefixes Philippine mobile networks actually use ("09" + two digits), so generated callers look real. */
export const MOBILE_PREFIXES = [
  '0905',
  '0906',
  '0915',
  '0916',
  '0917',
  '0926',
  '0927',
  '0935',
  '0936',
  '0945',
  '0953',
  '0955',
  '0956',
  '0965',
  '0966',
  '0967',
  '0975',
  '0977',
  '0995',
  '0997',
  '0907',
  '0908',
  '0909',
  '0910',
  '0912',
  '0918',
  '0919',
  '0920',
  '0921',
  '0928',
  '0929',
  '0930',
  '0938',
  '0939',
  '0946',
  '0947',
  '0949',
  '0951',
  '0961',
  '0998',
  '0999',
  '0991',
  '0992',
  '0993',
  '0994',
] as const;

export const PH_MOBILE_PATTERN = /^09\d{9}$/;

export function randomPhMobile(random: Random): string {
  const prefix = MOBILE_PREFIXES[random.int(0, MOBILE_PREFIXES.length - 1)] as string;
  return prefix + String(random.int(0, 9_999_999)).padStart(7, '0');
}

/** A finite population of distinct callers, so the same numbers call again and again. */
export function callerPopulation(random: Random, size: number): string[] {
  const callers = new Set<string>();
  while (callers.size < size) callers.add(randomPhMobile(random));
  return [...callers];
}

/** 0917•••4567: enough to recognise a number, not enough to dial it. */
export function maskCaller(caller: string): string {
  if (caller.length <= 7) return '•'.repeat(caller.length);
  return `${caller.slice(0, 4)}•••${caller.slice(-4)}`;
}

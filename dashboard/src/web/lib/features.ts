import { percent } from './format.js';

/** How a caller feature is shown: its label, and its value formatted (the processor's names; see
 *  docs/model.md). */
export interface FeatureLabel {
  name: string;
  label: string;
  /** A short form for a compact line: "42 calls/h". */
  short: string;
  format: (v: number) => string;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s ago`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

function gap(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const whole = (v: number): string => v.toFixed(0);

/** Every feature a result's explanation and a caller verdict carry, in the processor's order. */
export const FEATURES: readonly FeatureLabel[] = [
  { name: 'calls_1m', label: 'Calls, last minute', short: 'calls/min', format: whole },
  { name: 'calls_1h', label: 'Calls, last hour', short: 'calls/h', format: whole },
  { name: 'calls_24h', label: 'Calls, last 24 h', short: 'calls/24 h', format: whole },
  { name: 'distinct_callees_1h', label: 'Distinct callees, 1 h', short: 'callees/h', format: whole },
  { name: 'distinct_callees_24h', label: 'Distinct callees, 24 h', short: 'callees/24 h', format: whole },
  { name: 'short_share_24h', label: 'Very short calls, 24 h', short: 'short', format: (v) => percent(v, 0) },
  { name: 'night_share_24h', label: 'Night calls, 24 h', short: 'at night', format: (v) => percent(v, 0) },
  {
    name: 'mean_duration_24h',
    label: 'Mean duration, 24 h',
    short: 'mean duration',
    format: (v) => `${v.toFixed(0)} s`,
  },
  { name: 'seconds_since_previous', label: 'Since previous call', short: 'since previous', format: gap },
  { name: 'number_age_seconds', label: 'Number first seen', short: 'first seen', format: age },
];

const BY_NAME = new Map(FEATURES.map((feature) => [feature.name, feature]));

export function featureLabel(name: string): FeatureLabel | undefined {
  return BY_NAME.get(name);
}

/**
 * The evidence shown first for a flagged caller: how many calls it makes, to how many different people, and how
 * many of them are cut short — what sets the Wangiri and robocall campaigns apart from ordinary callers (a bulk
 * caller makes many calls too, but long ones to few callees). Every feature is one click away.
 */
export const KEY_EVIDENCE = ['calls_1h', 'distinct_callees_24h', 'short_share_24h'] as const;

/** A feature's value as shown: formatted, or "—" when the processor had none. */
export function featureValue(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const feature = BY_NAME.get(name);
  return feature ? feature.format(value) : String(value);
}

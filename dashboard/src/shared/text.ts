/**
 * Text from the stream is data, never markup: the page renders it with text interpolation only (no v-html).
 * What text interpolation does not stop is a string that reorders or hides what follows it: bidirectional
 * overrides (U+202E turns "0917…" around), zero-width and control characters. They are replaced with U+FFFD,
 * visibly, before display.
 */
const UNSAFE = new RegExp(
  '[' +
    '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F' + // C0 and C1 controls but tab, LF, CR
    '\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF' + // bidi marks and overrides, zero-width
    ']',
  'g',
);

export function inertText(value: string): string {
  return value.replace(UNSAFE, '\uFFFD');
}

/** 0917•••4567: enough to recognise a number, not enough to dial it (the same rule as core's maskCaller). */
export function maskCaller(caller: string): string {
  const chars = Array.from(caller);
  if (chars.length <= 7) return '•'.repeat(chars.length);
  return `${chars.slice(0, 4).join('')}•••${chars.slice(-4).join('')}`;
}

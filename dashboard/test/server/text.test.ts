import { maskCaller as coreMask } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { inertText, maskCaller } from '../../src/shared/text.js';

describe('maskCaller', () => {
  it('shows the first four and last four digits only', () => {
    expect(maskCaller('09171234567')).toBe('0917•••4567');
  });

  it('masks short strings entirely', () => {
    expect(maskCaller('1234567')).toBe('•••••••');
    expect(maskCaller('')).toBe('');
  });

  it('agrees with the core rule for phone numbers', () => {
    for (const caller of ['09171234567', '09990000001', '12345678'])
      expect(maskCaller(caller)).toBe(coreMask(caller));
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(maskCaller('😀😀😀😀1234😀😀😀😀')).toBe('😀😀😀😀•••😀😀😀😀');
  });
});

describe('inertText', () => {
  it('replaces bidirectional overrides, zero-width and control characters with a visible mark', () => {
    expect(inertText('0917\u202E7654321')).toBe('0917\uFFFD7654321');
    expect(inertText('a\u200Bb\u0000c\u2066d\u0007')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFD');
  });

  it('leaves ordinary text, markup characters and other scripts alone', () => {
    const text = '<script>alert("x")</script> مرحبا 你好 09171234567';
    expect(inertText(text)).toBe(text);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { silenceTimeoutNegativeWarning, suppressedTimeoutWarnings } from '../src/warnings.js';

describe('silenceTimeoutNegativeWarning', () => {
  it('drops exactly the TimeoutNegativeWarning and lets every other warning through', async () => {
    silenceTimeoutNegativeWarning();
    const seen: string[] = [];
    const onWarning = (warning: Error) => seen.push(warning.name);
    process.on('warning', onWarning);
    try {
      const before = suppressedTimeoutWarnings();
      setTimeout(() => undefined, -5); // what kafkajs's request queue does when nothing is throttled
      process.emitWarning('something else', 'OtherWarning');
      await vi.waitFor(() => expect(seen).toContain('OtherWarning'));
      expect(seen).not.toContain('TimeoutNegativeWarning');
      expect(suppressedTimeoutWarnings()).toBe(before + 1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

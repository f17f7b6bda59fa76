import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cpSync, PROMETHEUS_DIR, renderMonitoring, rulesFile, tempDir, writeFileSync } from './support.js';

const exec = promisify(execFile);
const promtool = join(PROMETHEUS_DIR, 'promtool');

/** Runs promtool; resolves with its exit code and output whatever the code. */
async function runPromtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await exec(promtool, args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe("the chart's alert rules, checked by promtool (built from the Go module proxy)", () => {
  it('pass promtool check rules, six alerts in one group', async () => {
    const dir = tempDir('rules-');
    const text = rulesFile(renderMonitoring());
    writeFileSync(join(dir, 'rules.yaml'), text);
    const result = await runPromtool(['check', 'rules', 'rules.yaml'], dir);
    expect(result.output).toContain('SUCCESS: 6 rules found');
    expect(result.code).toBe(0);
  });

  it('fire on series that should trigger them and stay silent on ones that should not (promtool test rules)', async () => {
    const dir = tempDir('rules-');
    writeFileSync(join(dir, 'rules.yaml'), rulesFile(renderMonitoring()));
    cpSync(join(import.meta.dirname, 'alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    const result = await runPromtool(['test', 'rules', 'alerts.promtool.yaml'], dir);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('makes promtool test rules fail when an alert would not fire (the unit tests can fail)', async () => {
    const dir = tempDir('rules-');
    // Thresholds no test series reaches: every "fires" case of the unit tests must now fail.
    const silenced = renderMonitoring([
      'monitoring.rules.lag.threshold=1000000',
      'monitoring.rules.deadLetters.ratePerSecond=1000',
    ]);
    writeFileSync(join(dir, 'rules.yaml'), rulesFile(silenced));
    cpSync(join(import.meta.dirname, 'alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    const result = await runPromtool(['test', 'rules', 'alerts.promtool.yaml'], dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('ScamDetectorConsumerLagGrowing');
    expect(result.output).toContain('ScamDetectorDeadLettersHigh');
  });
});

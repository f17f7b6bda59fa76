import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BROKERS, modelFile, REPO } from './harness.js';

const run = promisify(execFile);

/** The soak benchmark's short version (3 minutes, the same checks, the fault schedule scaled to it). */
describe('the soak benchmark, short', () => {
  it('3 minutes at 2,000 events/s with a processor SIGKILL every 30 s and a broker restart: nothing lost, RSS flat, lag back within 30 s', async () => {
    const model = await modelFile(41);
    const outcome = await run(process.execPath, [join(REPO, 'services/processor/dist/bench-soak.js')], {
      env: { ...process.env, KAFKA_BROKERS: BROKERS.join(','), MODEL_PATH: model.path, SOAK_MINUTES: '3' },
      maxBuffer: 64 << 20,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => error);
    const stdout = outcome.stdout ?? '';
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; value: number });
    const value = (name: string) => lines.find((l) => l.name === name)?.value;
    // The figures the checks stand on, so a failure says which one.
    expect({
      lost: value('events_lost'),
      failed: value('soak_checks_failed'),
      stderr: outcome.stderr,
    }).toMatchObject({
      lost: 0,
      failed: 0,
    });
    expect(value('events_sent')).toBeGreaterThan(2000 * 150);
  }, 900_000);
});

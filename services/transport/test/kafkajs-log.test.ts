import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLevel } from '../src/kafkajs-log.js';

const entry = (message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Connection',
  label: 'ERROR',
  timestamp: new Date().toISOString(),
  logger: 'kafkajs',
  message,
  ...extra,
});

describe('kafkajsLevel', () => {
  it('writes what kafkajs logs as errors while a group forms or moves, and recovers from, at info', () => {
    // The lines a deploy, a scale or a broker start produce (kafkajs 2.2.4's own wording).
    const routine = [
      entry('Response GroupCoordinator(key: 10, version: 2)', {
        error: 'The group coordinator is not available',
      }),
      entry('Response FindCoordinator(key: 10, version: 2)', {
        error: "The coordinator is loading and hence can't process requests",
      }),
      entry('Response JoinGroup(key: 11, version: 5)', {
        error: 'This is not the correct coordinator for this group',
      }),
      entry('Response Heartbeat(key: 12, version: 3)', {
        error: 'The group is rebalancing, so a rejoin is needed',
      }),
      entry(
        "Crash: KafkaJSNumberOfRetriesExceeded: The coordinator is loading and hence can't process requests",
      ),
      entry('The coordinator is not aware of this member, re-joining the group'),
      // A topic just created (the processor's verdicts topic) until its leaders are elected, or a leader moving.
      entry('Response Metadata(key: 3, version: 6)', {
        error: 'This server does not host this topic-partition',
      }),
      entry('Response ListOffsets(key: 2, version: 3)', {
        error: 'This server is not the leader for that topic-partition',
      }),
    ];
    for (const log of routine) expect(kafkajsLevel(logLevel.ERROR, log), log.message).toBe('info');
    expect(kafkajsLevel(logLevel.WARN, routine[0] as (typeof routine)[0])).toBe('info');
  });

  it('keeps real errors at error and warnings at warn; a consumer restart is a warning', () => {
    expect(
      kafkajsLevel(
        logLevel.ERROR,
        entry('Response Produce(key: 0, version: 7)', {
          error: 'The request included a message larger than the max message size the server will accept',
        }),
      ),
    ).toBe('error');
    expect(kafkajsLevel(logLevel.ERROR, entry('Failed to connect to broker, reconnecting'))).toBe('error');
    expect(kafkajsLevel(logLevel.ERROR, entry('Restarting the consumer in 300ms', { retryCount: 0 }))).toBe(
      'warn',
    );
    expect(kafkajsLevel(logLevel.WARN, entry('KafkaJS v2.0.0 switched default partitioner'))).toBe('warn');
    expect(kafkajsLevel(logLevel.INFO, entry('Consumer has joined the group'))).toBe('info');
    expect(kafkajsLevel(logLevel.DEBUG, entry('Request Fetch'))).toBe('debug');
  });
});

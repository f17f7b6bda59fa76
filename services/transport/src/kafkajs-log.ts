import { type LogEntry, logLevel } from 'kafkajs';

export type KafkajsLogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * What kafkajs reports as an error while a group forms or moves and then recovers by itself: a deploy, a scale
 * or a broker start shows each of these once or a few times, and a topic just created answers "does not host this
 * topic-partition" or "not the leader" until its leaders are elected (the transport waits for them). They are
 * routine, not an operator's alarm.
 */
const ROUTINE =
  /coordinator is not available|coordinator is loading|not the correct coordinator|group is rebalancing|rebalance in progress|member id is not valid|not aware of this member|no leader for this topic-partition|leadership election|does not host this topic-partition|not the leader for that topic-partition/i;

/**
 * The level one kafkajs log entry is written at. Errors kafkajs recovers from by itself (the group coordinator
 * not available yet, loading, moved; a rebalance in progress) go to info; a real error stays an error.
 */
export function kafkajsLevel(level: LogEntry['level'], log: LogEntry['log']): KafkajsLogLevel {
  if (level === logLevel.ERROR || level === logLevel.WARN) {
    const text = `${log.message ?? ''} ${typeof log.error === 'string' ? log.error : ''}`;
    if (ROUTINE.test(text)) return 'info';
    // The consumer restarts itself after a retriable crash (the crash itself is logged on its own line).
    if (/^Restarting the consumer/.test(log.message ?? '')) return 'warn';
    return level === logLevel.ERROR ? 'error' : 'warn';
  }
  return level === logLevel.INFO ? 'info' : 'debug';
}

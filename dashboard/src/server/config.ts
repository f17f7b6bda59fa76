import { parseArgs } from 'node:util';
import { KAFKA_SECURITY_SETTINGS, pickSettings, readConfig } from '@scam-detector/core';

const DASHBOARD_SETTINGS = pickSettings([
  'LOG_LEVEL',
  'KAFKA_BROKERS',
  'INPUT_TOPIC',
  ...KAFKA_SECURITY_SETTINGS,
  'OUTPUT_TOPIC',
  'DLQ_TOPIC',
  'CALLER_VERDICTS_TOPIC',
  'CONSUMER_GROUP',
  'MODEL_PATH',
  'PORT',
  'DASHBOARD_BUFFER_SIZE',
  'DASHBOARD_FROM_BEGINNING',
  'DASHBOARD_MAX_STREAMS',
  'DASHBOARD_PUSH_INTERVAL_MS',
  'REPLAY_FILE',
  'REPLAY_SPEED',
  'REPLAY_LOOP',
]);

export const USAGE = `Usage: scam-dashboard [--replay FILE] [--speed N] [--loop] [--port N]

Serves the live dashboard. Reads OUTPUT_TOPIC and DLQ_TOPIC from KAFKA_BROKERS, or with --replay a recording
(CSV with the old dashboard's columns, or JSONL of scored events) and no broker at all.

  --replay FILE   serve this recording instead of Kafka (REPLAY_FILE)
  --speed N       replay pace: 1 original, 10 ten times faster, 0 as fast as possible (REPLAY_SPEED)
  --loop          start the recording again when it ends (REPLAY_LOOP)
  --port N        listen here (PORT, default 8080)
  -h, --help      print this help

Every setting is an environment variable; see docs/configuration.md.`;

/** Reads the environment, then lets the command line win over it. Throws ConfigError naming every bad value. */
export function readDashboardConfig(argv: readonly string[], env: Record<string, string | undefined>) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      replay: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const merged = { ...env };
  if (values.replay !== undefined) merged.REPLAY_FILE = values.replay;
  if (values.speed !== undefined) merged.REPLAY_SPEED = values.speed;
  if (values.loop) merged.REPLAY_LOOP = 'true';
  if (values.port !== undefined) merged.PORT = values.port;
  return { help: values.help === true, config: readConfig(DASHBOARD_SETTINGS, 'dashboard', merged) };
}

export type DashboardConfig = ReturnType<typeof readDashboardConfig>['config'];

import { ConfigError } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { readProcessorConfig } from '../src/config.js';

describe('processor configuration', () => {
  it('has working defaults for every variable', () => {
    const config = readProcessorConfig({});
    expect(config).toMatchObject({
      KAFKA_BROKERS: ['localhost:9092'],
      INPUT_TOPIC: 'calls_raw',
      OUTPUT_TOPIC: 'calls_scored',
      DLQ_TOPIC: 'calls_dlq',
      CONSUMER_GROUP: 'processor_group',
      HTTP_PORT: 8081,
    });
  });

  it('names every bad variable at once', () => {
    try {
      readProcessorConfig({ HTTP_PORT: 'eighty', KAFKA_BROKERS: 'nohost', KAFKA_SESSION_TIMEOUT_MS: '10' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('HTTP_PORT="eighty"');
      expect(message).toContain('KAFKA_BROKERS="nohost"');
      expect(message).toContain('KAFKA_SESSION_TIMEOUT_MS="10"');
    }
  });
});

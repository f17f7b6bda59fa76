import { describe, expect, it } from 'vitest';
import { ConfigError, parsers, readConfig } from '../src/config.js';
import { pickSettings, SETTINGS } from '../src/settings.js';

const processorSettings = pickSettings(['KAFKA_BROKERS', 'INPUT_TOPIC', 'CONSUMER_GROUP', 'LOG_LEVEL']);

describe('configuration from the environment', () => {
  it('uses the declared defaults when nothing is set', () => {
    const config = readConfig(processorSettings, 'processor', {});
    expect(config).toEqual({
      KAFKA_BROKERS: ['localhost:9092'],
      INPUT_TOPIC: 'calls_raw',
      CONSUMER_GROUP: 'processor_group',
      LOG_LEVEL: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    expect(readConfig(processorSettings, 'processor', { INPUT_TOPIC: '' }).INPUT_TOPIC).toBe('calls_raw');
  });

  it('lists every bad variable at once, each by name', () => {
    try {
      readConfig(processorSettings, 'processor', {
        KAFKA_BROKERS: 'nohostport',
        INPUT_TOPIC: 'bad topic!',
        LOG_LEVEL: 'loud',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('KAFKA_BROKERS');
      expect(message).toContain('INPUT_TOPIC');
      expect(message).toContain('LOG_LEVEL');
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('parses integers and numbers exactly', () => {
    const port = parsers.integer(1, 65535);
    expect(port('8080')).toBe(8080);
    expect(() => port('80.5')).toThrow(/whole number/);
    expect(() => port('0x50')).toThrow(/whole number/);
    expect(() => port('70000')).toThrow(/between/);
    const rate = parsers.number(0, 1e6);
    expect(rate('2.5e3')).toBe(2500);
    expect(() => rate('fast')).toThrow(/number/);
    expect(() => rate('Infinity')).toThrow(/number/);
  });

  it('declares every setting with documentation and at least one service', () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(setting.doc.length).toBeGreaterThan(10);
      expect(setting.services.length).toBeGreaterThan(0);
    }
  });
});

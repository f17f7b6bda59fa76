import { ErrorCodes, ScamDetectorError } from './errors.js';

/**
 * Every environment variable any service reads is declared once, in settings.ts, with its type, default and
 * documentation. Services read their share at start-up; every problem is listed at once, each naming its
 * variable; the result is frozen. The configuration table (docs/configuration.md) and the Helm chart are checked against the declaration.
 */
export type ServiceName = 'trainer' | 'producer' | 'processor' | 'dashboard';

export interface Setting<T> {
  doc: string;
  /** The default as it would be written in the environment; per service where services differ. */
  default?: string | Partial<Record<ServiceName, string>>;
  services: readonly ServiceName[];
  /** Turns the raw string into a value, or throws an Error whose message says what is wrong. */
  parse: (raw: string) => T;
}

export class ConfigError extends ScamDetectorError {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function defaultFor(setting: Setting<unknown>, service: ServiceName): string | undefined {
  return typeof setting.default === 'string' ? setting.default : setting.default?.[service];
}

export type ConfigOf<S extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/**
 * Reads `settings` from `env` for `service`. An empty variable counts as unset (so `FOO=` falls back to
 * the default); a variable without a default must be set.
 */
export function readConfig<S extends Record<string, Setting<unknown>>>(
  settings: S,
  service: ServiceName,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const raw = env[name]?.trim() || defaultFor(setting, service);
    if (raw === undefined) {
      problems.push(`${name} is required: ${setting.doc}`);
      continue;
    }
    try {
      values[name] = setting.parse(raw);
    } catch (error) {
      problems.push(`${name}=${JSON.stringify(raw)} is invalid: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as ConfigOf<S>;
}

/** Parsers with exact semantics, shared by every declaration. */
export const parsers = {
  string: (raw: string): string => raw,
  integer:
    (min: number, max: number) =>
    (raw: string): number => {
      if (!/^-?\d+$/.test(raw)) throw new Error('must be a whole number');
      const value = Number(raw);
      if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
      return value;
    },
  number:
    (min: number, max: number) =>
    (raw: string): number => {
      const value = Number(raw);
      if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw) || !Number.isFinite(value))
        throw new Error('must be a number');
      if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
      return value;
    },
  oneOf:
    <T extends string>(...choices: T[]) =>
    (raw: string): T => {
      if (!(choices as string[]).includes(raw)) throw new Error(`must be one of ${choices.join(', ')}`);
      return raw as T;
    },
  boolean: (raw: string): boolean => {
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw new Error('must be true or false');
  },
  topic: (raw: string): string => {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(raw))
      throw new Error('must be a Kafka topic name (letters, digits, . _ -)');
    return raw;
  },
  brokers: (raw: string): string[] => {
    const brokers = raw.split(',').map((b) => b.trim());
    for (const broker of brokers) {
      if (!/^[a-zA-Z0-9.-]+:\d{1,5}$/.test(broker)) throw new Error(`"${broker}" is not host:port`);
    }
    return brokers;
  },
};

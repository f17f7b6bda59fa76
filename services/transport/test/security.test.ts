import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@scam-detector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainKafkaError,
  KafkaAccessError,
  type KafkaSecurity,
  type KafkaSecuritySettings,
  PLAINTEXT,
  readKafkaSecurity,
} from '../src/security.js';

let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'security-unit-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=processor',
    '-keyout',
    'user.key',
    '-out',
    'user.csr',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'user.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-days',
    '1',
    '-out',
    'user.crt',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=other',
    '-keyout',
    'other.key',
    '-out',
    'other.csr',
  );
  writeFileSync(join(dir, 'password'), 'secret\n');
  writeFileSync(join(dir, 'empty'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = (overrides: Partial<KafkaSecuritySettings>): KafkaSecuritySettings => ({
  KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
  KAFKA_SSL_CA_FILE: '',
  KAFKA_SSL_CERT_FILE: '',
  KAFKA_SSL_KEY_FILE: '',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD_FILE: '',
  ...overrides,
});
const problemsOf = (s: KafkaSecuritySettings): string[] => {
  try {
    readKafkaSecurity(s);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
};

describe('readKafkaSecurity', () => {
  it('is plain text by default, and refuses credentials that plain text would ignore', () => {
    expect(readKafkaSecurity(settings({}))).toBe(PLAINTEXT);
    expect(problemsOf(settings({ KAFKA_SASL_USERNAME: 'processor' }))[0]).toMatch(
      /KAFKA_SASL_USERNAME set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT/,
    );
  });

  it('reads SASL_SSL: the CA, the user and the password from its file (trailing newline dropped)', () => {
    const security = readKafkaSecurity(
      settings({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: join(dir, 'ca.crt'),
        KAFKA_SASL_USERNAME: 'processor',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'),
      }),
    );
    expect(security.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'processor', password: 'secret' });
    expect(String(security.ssl?.ca)).toContain('BEGIN CERTIFICATE');
    expect(security.ssl?.rejectUnauthorized).toBe(true);
  });

  it('names every missing or unreadable part of SASL_SSL', () => {
    expect(problemsOf(settings({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }))).toEqual([
      'KAFKA_SASL_USERNAME is required with SASL_SSL',
      'KAFKA_SASL_PASSWORD_FILE is required with SASL_SSL',
    ]);
    const problems = problemsOf(
      settings({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: join(dir, 'password'),
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'empty'),
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE=.* holds no PEM certificate/),
      'KAFKA_SASL_PASSWORD_FILE is empty',
    ]);
  });

  it('reads mutual TLS and checks the key belongs to the certificate', () => {
    const ok = readKafkaSecurity(
      settings({
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SSL_CERT_FILE: join(dir, 'user.crt'),
        KAFKA_SSL_KEY_FILE: join(dir, 'user.key'),
      }),
    );
    expect(ok.identity).toBe('CN=processor');
    expect(ok.sasl).toBeUndefined();
    expect(
      problemsOf(
        settings({
          KAFKA_SECURITY_PROTOCOL: 'SSL',
          KAFKA_SSL_CERT_FILE: join(dir, 'user.crt'),
          KAFKA_SSL_KEY_FILE: join(dir, 'other.key'),
        }),
      ),
    ).toEqual(['KAFKA_SSL_KEY_FILE is not the private key of KAFKA_SSL_CERT_FILE']);
    expect(
      problemsOf(settings({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: join(dir, 'user.crt') })),
    ).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: set both for mutual TLS, or neither',
    ]);
  });

  it('names an expired client certificate with its end of validity', () => {
    const tls = settings({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: join(dir, 'user.crt'),
      KAFKA_SSL_KEY_FILE: join(dir, 'user.key'),
    });
    expect(() => readKafkaSecurity(tls, new Date(Date.now() + 3 * 86_400_000))).toThrow(
      /KAFKA_SSL_CERT_FILE=.*: the client certificate expired on \d{4}-/,
    );
  });
});

describe('explainKafkaError', () => {
  const sasl: KafkaSecurity = {
    protocol: 'SASL_SSL',
    ssl: { rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username: 'dashboard', password: 'x' },
    identity: 'dashboard',
  };

  it('names authentication, trust, expiry and ACL failures, through kafkajs wrappers', () => {
    const wrapped = (inner: object) => Object.assign(new Error('retries exceeded'), { originalError: inner });
    const cases: [object, KafkaAccessError['problem']][] = [
      [
        { name: 'KafkaJSSASLAuthenticationError', message: 'SASL SCRAM SHA512 authentication failed' },
        'authentication',
      ],
      [
        {
          name: 'KafkaJSConnectionError',
          code: 'SELF_SIGNED_CERT_IN_CHAIN',
          message: 'self-signed certificate in certificate chain',
        },
        'untrusted-certificate',
      ],
      [
        { name: 'KafkaJSConnectionError', code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' },
        'certificate-expired',
      ],
      [
        {
          name: 'KafkaJSProtocolError',
          type: 'TOPIC_AUTHORIZATION_FAILED',
          message: 'Not authorized to access topics',
        },
        'authorization',
      ],
      [
        { name: 'KafkaJSGroupCoordinatorNotFound', message: 'Failed to find group coordinator' },
        'authorization',
      ],
      [
        {
          name: 'KafkaJSConnectionError',
          code: 'ECONNRESET',
          message: 'Client network socket disconnected before secure TLS connection was established',
        },
        'tls',
      ],
    ];
    for (const [inner, problem] of cases) {
      const explained = explainKafkaError(wrapped(inner), sasl);
      expect(explained, JSON.stringify(inner)).toBeInstanceOf(KafkaAccessError);
      expect((explained as KafkaAccessError).problem).toBe(problem);
    }
    expect((explainKafkaError(wrapped(cases[0]?.[0] as object), sasl) as Error).message).toMatch(
      /refused the SASL login as dashboard \(scram-sha-512\).*KAFKA_SASL_PASSWORD_FILE/,
    );
  });

  it('leaves other errors alone, and on plain text does not guess at TLS', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(explainKafkaError(refused, sasl)).toBe(refused);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(explainKafkaError(reset, PLAINTEXT)).toBe(reset);
  });
});

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '@scam-detector/core';
import type { SASLOptions } from 'kafkajs';

/** The settings of settings.ts that say how to reach a secured Kafka (KAFKA_SECURITY_SETTINGS). */
export interface KafkaSecuritySettings {
  readonly KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
  readonly KAFKA_SSL_CA_FILE: string;
  readonly KAFKA_SSL_CERT_FILE: string;
  readonly KAFKA_SSL_KEY_FILE: string;
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512' | 'scram-sha-256' | 'plain';
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD_FILE: string;
}

/** What the kafkajs adapter needs to connect securely; `undefined` fields mean plain text / no SASL. */
export interface KafkaSecurity {
  protocol: KafkaSecuritySettings['KAFKA_SECURITY_PROTOCOL'];
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
  /** SASL user name or the client certificate's subject: named in errors, never a secret. */
  identity?: string;
  /** The client certificate's end of validity, checked again when a connection fails. */
  certificateValidTo?: Date;
}

export const PLAINTEXT: KafkaSecurity = Object.freeze({ protocol: 'PLAINTEXT' });

/**
 * Reads the files the settings name (CA, client certificate and key, password) and checks them: a missing file,
 * a certificate without its key, a key that does not belong to the certificate, a certificate past its end of
 * validity or an empty password each throws a ConfigError naming the variable. Files are read once, at start-up.
 */
export function readKafkaSecurity(
  settings: KafkaSecuritySettings,
  now: Date = new Date(),
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const protocol = settings.KAFKA_SECURITY_PROTOCOL;
  const problems: string[] = [];
  const file = (name: keyof KafkaSecuritySettings): string | undefined => {
    const path = settings[name];
    if (!path) return undefined;
    try {
      return read(path);
    } catch (error) {
      problems.push(`${name}=${JSON.stringify(path)} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  };
  if (protocol === 'PLAINTEXT') {
    const stray = (
      [
        'KAFKA_SSL_CA_FILE',
        'KAFKA_SSL_CERT_FILE',
        'KAFKA_SSL_KEY_FILE',
        'KAFKA_SASL_USERNAME',
        'KAFKA_SASL_PASSWORD_FILE',
      ] as const
    ).filter((name) => settings[name] !== '');
    if (stray.length > 0)
      throw new ConfigError([
        `${stray.join(', ')} set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT: set it to SSL or SASL_SSL, or unset them`,
      ]);
    return PLAINTEXT;
  }

  const security: KafkaSecurity = { protocol };
  const ssl: ConnectionOptions = { rejectUnauthorized: true };
  const ca = file('KAFKA_SSL_CA_FILE');
  if (ca !== undefined) {
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      problems.push(
        `KAFKA_SSL_CA_FILE=${JSON.stringify(settings.KAFKA_SSL_CA_FILE)} holds no PEM certificate`,
      );
    ssl.ca = ca;
  }
  if ((settings.KAFKA_SSL_CERT_FILE === '') !== (settings.KAFKA_SSL_KEY_FILE === '')) {
    problems.push(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: set both for mutual TLS, or neither',
    );
  } else {
    const cert = file('KAFKA_SSL_CERT_FILE');
    const key = file('KAFKA_SSL_KEY_FILE');
    if (cert !== undefined && key !== undefined) {
      try {
        const x509 = new X509Certificate(cert);
        const validTo = new Date(x509.validTo);
        if (validTo.getTime() <= now.getTime())
          problems.push(
            `KAFKA_SSL_CERT_FILE=${JSON.stringify(settings.KAFKA_SSL_CERT_FILE)}: the client certificate expired on ${validTo.toISOString()}`,
          );
        else if (new Date(x509.validFrom).getTime() > now.getTime())
          problems.push(
            `KAFKA_SSL_CERT_FILE=${JSON.stringify(settings.KAFKA_SSL_CERT_FILE)}: the client certificate is not valid before ${new Date(x509.validFrom).toISOString()}`,
          );
        security.identity = x509.subject.replaceAll('\n', ',');
        security.certificateValidTo = validTo;
        if (!x509.checkPrivateKey(createPrivateKey(key)))
          problems.push('KAFKA_SSL_KEY_FILE is not the private key of KAFKA_SSL_CERT_FILE');
      } catch (error) {
        problems.push(
          `KAFKA_SSL_CERT_FILE/KAFKA_SSL_KEY_FILE are not a PEM certificate and key: ${(error as Error).message}`,
        );
      }
      ssl.cert = cert;
      ssl.key = key;
    }
  }
  security.ssl = ssl;

  if (protocol === 'SASL_SSL') {
    if (!settings.KAFKA_SASL_USERNAME) problems.push('KAFKA_SASL_USERNAME is required with SASL_SSL');
    if (!settings.KAFKA_SASL_PASSWORD_FILE)
      problems.push('KAFKA_SASL_PASSWORD_FILE is required with SASL_SSL');
    const password = file('KAFKA_SASL_PASSWORD_FILE')?.replace(/\r?\n$/, '');
    if (password === '') problems.push('KAFKA_SASL_PASSWORD_FILE is empty');
    if (settings.KAFKA_SASL_USERNAME && password) {
      security.identity = settings.KAFKA_SASL_USERNAME;
      security.sasl = {
        mechanism: settings.KAFKA_SASL_MECHANISM,
        username: settings.KAFKA_SASL_USERNAME,
        password,
      } as SASLOptions;
    }
  } else if (settings.KAFKA_SASL_USERNAME || settings.KAFKA_SASL_PASSWORD_FILE) {
    problems.push(
      'KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD_FILE are set but KAFKA_SECURITY_PROTOCOL is not SASL_SSL',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return security;
}

/** The kinds of connection failure a secured Kafka adds, each with what to check. */
export type KafkaAccessProblem =
  | 'authentication'
  | 'untrusted-certificate'
  | 'certificate-expired'
  | 'tls'
  | 'authorization';

export class KafkaAccessError extends Error {
  override name = 'KafkaAccessError';
  constructor(
    readonly problem: KafkaAccessProblem,
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The error and the errors it wraps (kafkajs: originalError, cause; retries: the last one). */
function* chain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    yield current as Record<string, unknown>;
    const e = current as { originalError?: unknown; cause?: unknown };
    current = e.originalError ?? e.cause;
  }
}

/** kafkajs errors that mean no broker could be reached or none answered in time. */
const CONNECTION_FAILURES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
]);

/**
 * True when a kafkajs failure (or any error it wraps: kafkajs gives up with a KafkaJSNonRetriableError or a
 * KafkaJSNumberOfRetriesExceeded around the connection error) means the broker was unreachable, not that it
 * refused the request: the same request can succeed once the broker answers again.
 */
export function isConnectionFailure(error: unknown): boolean {
  for (const e of chain(error)) if (CONNECTION_FAILURES.has(String(e.name ?? ''))) return true;
  return false;
}

/**
 * Turns a kafkajs failure caused by security (wrong password or unknown user, a broker certificate the client does
 * not trust, an expired certificate, a TLS handshake the broker refused, an operation the ACLs deny) into one
 * KafkaAccessError whose message names what failed and what to check; other errors come back unchanged.
 */
export function explainKafkaError(
  error: unknown,
  security: KafkaSecurity = PLAINTEXT,
  context: { group?: string } = {},
): unknown {
  if (error instanceof KafkaAccessError) return error;
  const who = security.identity ? ` as ${security.identity}` : '';
  for (const e of chain(error)) {
    const name = String(e.name ?? '');
    const code = String(e.code ?? '');
    const message = String(e.message ?? '');
    const type = String(e.type ?? '');
    if (name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED')
      return new KafkaAccessError(
        'authentication',
        `Kafka refused the SASL login${who} (${security.sasl?.mechanism ?? 'SASL'}): wrong password or unknown user; check KAFKA_SASL_USERNAME and the file KAFKA_SASL_PASSWORD_FILE names (${message})`,
        error,
      );
    if (code === 'CERT_HAS_EXPIRED' || /certificate has expired/i.test(message))
      return new KafkaAccessError(
        'certificate-expired',
        `TLS to Kafka failed: the broker's certificate has expired (${message})`,
        error,
      );
    if (
      TLS_UNTRUSTED.has(code) ||
      /self[- ]signed certificate|unable to (verify|get) .*certificate/i.test(message)
    )
      return new KafkaAccessError(
        'untrusted-certificate',
        `TLS to Kafka failed: the broker's certificate is not trusted by KAFKA_SSL_CA_FILE (a foreign CA, or the wrong CA file) (${message})`,
        error,
      );
    if (/^(TOPIC|GROUP|CLUSTER|TRANSACTIONAL_ID|DELEGATION_TOKEN)_AUTHORIZATION_FAILED$/.test(type))
      return new KafkaAccessError(
        'authorization',
        `Kafka denied ${type.replace('_AUTHORIZATION_FAILED', '').toLowerCase()} access${who} (${type}): the user's ACLs do not allow this operation (${message})`,
        error,
      );
    // kafkajs drops the broker's GROUP_AUTHORIZATION_FAILED answer to FindCoordinator (it logs it) and reports
    // only that no coordinator was found; with security on, a denied group is by far the likeliest cause.
    if (name === 'KafkaJSGroupCoordinatorNotFound' && security.protocol !== 'PLAINTEXT')
      return new KafkaAccessError(
        'authorization',
        `Kafka denied group access${who}${context.group ? ` to consumer group "${context.group}"` : ''} (GROUP_AUTHORIZATION_FAILED, logged by kafkajs as "Not authorized to access group"): the user's ACLs do not allow this group, or no group coordinator is up (${message})`,
        error,
      );
    if (
      security.protocol !== 'PLAINTEXT' &&
      /alert|handshake|before secure TLS connection|wrong version number|ECONNRESET|EPIPE/i.test(
        `${code} ${message}`,
      )
    ) {
      const expired =
        security.certificateValidTo && security.certificateValidTo.getTime() <= Date.now()
          ? `: the client certificate expired on ${security.certificateValidTo.toISOString()}`
          : '';
      return new KafkaAccessError(
        'tls',
        `TLS to Kafka failed${who}${expired}: the broker closed the handshake (a client certificate it does not trust or that expired, or a listener that is not TLS) (${message})`,
        error,
      );
    }
  }
  return error;
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@scam-detector/core';
import {
  createKafkajsTransport,
  type KafkaSecurity,
  type KafkaSecuritySettings,
  readKafkaSecurity,
  type Transport,
} from '@scam-detector/transport';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { onTestFinished } from 'vitest';

/**
 * The secured local broker (`make test-security` starts it: scripts/kafka/kafka.sh with KAFKA_SECURITY=sasl_ssl):
 * SASL_SSL on KAFKA_SECURE_BROKERS, mutual TLS on KAFKA_SECURE_TLS_BROKERS; its CA, client certificates and
 * passwords are under KAFKA_SECURE_HOME (made by kafka.sh with openssl when it formatted the run dir).
 */
export const REPO = resolve(import.meta.dirname, '../..');
export const SASL_BROKERS = (process.env.KAFKA_SECURE_BROKERS ?? '127.0.0.1:9192').split(',');
export const TLS_BROKERS = (process.env.KAFKA_SECURE_TLS_BROKERS ?? '127.0.0.1:9194').split(',');
export const HOME = resolve(REPO, process.env.KAFKA_SECURE_HOME ?? '.cache/kafka/run-secure');
export const CA_FILE = join(HOME, 'tls/ca.crt');
export const passwordFile = (user: string): string => join(HOME, `users/${user}.password`);
export const certFile = (user: string): string => join(HOME, `tls/${user}.crt`);
export const keyFile = (user: string): string => join(HOME, `tls/${user}.key`);

export type Component = 'producer' | 'processor' | 'dashboard';

const logger = createLogger('security-test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** The settings a service would get for `user` (SASL_SSL with a password file, or mutual TLS). */
export function saslSettings(
  user: string,
  overrides: Partial<KafkaSecuritySettings> = {},
): KafkaSecuritySettings {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_FILE: CA_FILE,
    KAFKA_SSL_CERT_FILE: '',
    KAFKA_SSL_KEY_FILE: '',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD_FILE: passwordFile(user),
    ...overrides,
  };
}

export function tlsSettings(
  user: string,
  overrides: Partial<KafkaSecuritySettings> = {},
): KafkaSecuritySettings {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CA_FILE: CA_FILE,
    KAFKA_SSL_CERT_FILE: certFile(user),
    KAFKA_SSL_KEY_FILE: keyFile(user),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: '',
    KAFKA_SASL_PASSWORD_FILE: '',
    ...overrides,
  };
}

/** Our transport, as a service builds it, closed when the test finishes. */
export function transportFor(security: KafkaSecurity, brokers = SASL_BROKERS): Transport {
  const transport = createKafkajsTransport({
    brokers,
    clientId: 'security-test',
    logger,
    maxRetryTimeMs: 1000,
    security,
  });
  onTestFinished(() => transport.close());
  return transport;
}

/** A kafkajs admin logged in as the broker's super user (admin): creates topics and ACLs. */
export async function superAdmin(): Promise<Admin> {
  const security = readKafkaSecurity(saslSettings('admin'));
  const admin = new Kafka({
    clientId: 'security-test-admin',
    brokers: SASL_BROKERS,
    logLevel: logLevel.NOTHING,
    ssl: security.ssl,
    sasl: security.sasl,
  }).admin();
  await admin.connect();
  return admin;
}

interface AclEntry {
  type: 'topic' | 'group';
  name: string;
  patternType?: 'literal' | 'prefix';
  operations: string[];
}

/** The chart's own declaration of each component's ACLs (charts/scam-detector/kafka-acls.json). */
export const ACL_DECLARATION = JSON.parse(
  readFileSync(join(REPO, 'charts/scam-detector/kafka-acls.json'), 'utf8'),
) as { users: Record<Component, AclEntry[]> };

export interface Names {
  input: string;
  output: string;
  dlq: string;
  verdicts: string;
  processorGroup: string;
}

/** The prefix of the groups the processor restores its caller state with (services/processor/src/main.ts). */
export const PROCESSOR_STATE_READ_GROUPS = 'scam-detector-processor-state-read-';

/** The declaration with its role names resolved, as the chart resolves them from values. */
export function resolvedAcls(names: Names): Record<Component, (AclEntry & { resource: string })[]> {
  const resolveName = (role: string): string => {
    switch (role) {
      case 'changelog':
        return `${names.processorGroup}-caller-state-changelog`;
      case 'processorStateReads':
        // The processor restores a partition through a throwaway group named <its state client id>-read-<random>.
        return PROCESSOR_STATE_READ_GROUPS;
      case 'dashboardGroups':
        return 'dashboard-';
      default: {
        const name = names[role as keyof Names];
        if (!name) throw new Error(`kafka-acls.json names an unknown role "${role}"`);
        return name;
      }
    }
  };
  return Object.fromEntries(
    Object.entries(ACL_DECLARATION.users).map(([user, entries]) => [
      user,
      entries.map((entry) => ({ ...entry, resource: resolveName(entry.name) })),
    ]),
  ) as Record<Component, (AclEntry & { resource: string })[]>;
}

/** Grants the declared ACLs for these names on the broker (removed again when the file's tests end). */
export async function grantDeclaredAcls(admin: Admin, names: Names) {
  const acl = Object.entries(resolvedAcls(names)).flatMap(([user, entries]) =>
    entries.flatMap((entry) =>
      entry.operations.map((operation) => ({
        resourceType: entry.type === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
        resourceName: entry.resource,
        resourcePatternType:
          entry.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal: `User:${user}`,
        host: '*',
        operation: AclOperationTypes[operation.toUpperCase() as keyof typeof AclOperationTypes],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    ),
  );
  await admin.createAcls({ acl });
  return acl;
}

/** openssl, for the certificates a test makes itself (a foreign CA, an expired client certificate). */
export function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A temporary directory removed when the test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sec-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file with `content` in a temporary directory. */
export function tempFile(name: string, content: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

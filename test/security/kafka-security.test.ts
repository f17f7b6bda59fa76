import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createLogger } from '@scam-detector/core';
import {
  createKafkajsTopicAdmin,
  KafkaAccessError,
  type KafkaSecurity,
  readKafkaSecurity,
} from '@scam-detector/transport';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  modelFile,
  PROCESSOR_MAIN,
  startService,
  testEvents,
} from '../../services/processor/test/integration/harness.js';
import {
  CA_FILE,
  grantDeclaredAcls,
  HOME,
  keyFile,
  type Names,
  openssl,
  passwordFile,
  SASL_BROKERS,
  saslSettings,
  superAdmin,
  TLS_BROKERS,
  tempDir,
  tempFile,
  tlsSettings,
  transportFor,
} from './support.js';

const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

let admin: Admin;
let acls: Awaited<ReturnType<typeof grantDeclaredAcls>>;
const names: Names = {
  input: unique('sec-raw'),
  output: unique('sec-scored'),
  dlq: unique('sec-dlq'),
  verdicts: unique('sec-verdicts'),
  processorGroup: unique('sec-processors'),
};
/** The processor's state changelog: it creates the topic itself, as on an existing Kafka. */
const changelog = `${names.processorGroup}-caller-state-changelog`;

beforeAll(async () => {
  admin = await superAdmin();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [names.input, names.output, names.dlq, names.verdicts].map((topic) => ({
      topic,
      numPartitions: 3,
      replicationFactor: 1,
    })),
  });
  acls = await grantDeclaredAcls(admin, names);
});

afterAll(async () => {
  if (!admin) return;
  await admin.deleteAcls({ filters: acls }).catch(() => undefined);
  await admin
    .deleteTopics({ topics: [names.input, names.output, names.dlq, names.verdicts, changelog] })
    .catch(() => undefined);
  await admin.disconnect();
});

const as = (user: string): KafkaSecurity => readKafkaSecurity(saslSettings(user));

/** Expects `work` to fail with a KafkaAccessError of this kind whose message matches. */
async function expectAccessError(
  work: Promise<unknown>,
  problem: KafkaAccessError['problem'],
  message: RegExp,
) {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the operation should have been refused').toBeInstanceOf(KafkaAccessError);
  expect((error as KafkaAccessError).problem).toBe(problem);
  expect((error as KafkaAccessError).message).toMatch(message);
}

/** Collects what a consumer reports as crashes until one matches. */
function crashes() {
  const seen: Error[] = [];
  return { seen, listener: { crashed: (error: Error) => seen.push(error) } };
}

describe('the pipeline over SASL_SSL, each component as its own KafkaUser', () => {
  it('scores every event end to end: producer writes, processor reads and writes, dashboard reads', async () => {
    const model = await modelFile(11);
    const processorEnv = {
      KAFKA_BROKERS: SASL_BROKERS.join(','),
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_FILE: CA_FILE,
      KAFKA_SASL_USERNAME: 'processor',
      KAFKA_SASL_PASSWORD_FILE: passwordFile('processor'),
      INPUT_TOPIC: names.input,
      OUTPUT_TOPIC: names.output,
      DLQ_TOPIC: names.dlq,
      CONSUMER_GROUP: names.processorGroup,
      CALLER_VERDICTS_TOPIC: names.verdicts,
      // As the chart runs it: the changelog created (Create on that one topic) and every partition restored from
      // it through throwaway groups of the processor's own prefix before it is scored.
      CALLER_STATE: 'durable',
      MODEL_PATH: model.path,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    };
    const processor = startService(PROCESSOR_MAIN, processorEnv);
    await vi.waitFor(
      async () => {
        if ((await processor.readyz()).assigned_partitions !== 3) throw new Error('not assigned yet');
      },
      { timeout: 90_000, interval: 250 },
    );

    const reader = transportFor(as('dashboard'));
    const results: string[] = [];
    await reader.consume(
      { group: unique('dashboard-sec'), topics: [names.output], fromBeginning: true },
      (batch) => {
        for (const record of batch.records) results.push(record.value?.toString() ?? '');
        return [];
      },
    );
    const producer = await transportFor(as('producer')).producer();
    const events = testEvents(names.input, 2000, 5);
    await producer.send(events);
    await vi.waitFor(
      () => {
        if (results.length < events.length) throw new Error(`${results.length} of ${events.length} results`);
      },
      { timeout: 120_000, interval: 250 },
    );
    const seqs = new Set(results.map((r) => (JSON.parse(r) as { call: { seq: number } }).call.seq));
    expect(seqs.size).toBe(events.length);
    // The processor created its changelog (one partition per input partition) and wrote its callers' states there.
    const changelogOffsets = await admin.fetchTopicOffsets(changelog);
    expect(changelogOffsets).toHaveLength(3);
    expect(changelogOffsets.some((o) => Number(o.high) > 0)).toBe(true);
    processor.kill('SIGTERM');
    expect(await processor.exited).toBe(0);

    // A new processor (its store in memory: nothing local) restores every partition from the changelog, reading
    // it through a throwaway group of its own prefix, and only then is ready.
    const successor = startService(PROCESSOR_MAIN, processorEnv);
    await vi.waitFor(
      async () => {
        const ready = await successor.readyz();
        if (!ready.ready || ready.assigned_partitions !== 3) throw new Error(ready.problems.join('; '));
      },
      { timeout: 90_000, interval: 250 },
    );
    const metrics = await (await fetch(`http://127.0.0.1:${await successor.port()}/metrics`)).text();
    const restored = metrics
      .split('\n')
      .filter((line) => line.startsWith('processor_state_restored_records_total'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(restored).toBeGreaterThan(0);
    expect(successor.lines.filter((line) => /AUTHORIZATION_FAILED/.test(line))).toEqual([]);
    successor.kill('SIGTERM');
    expect(await successor.exited).toBe(0);
  });

  it('works the same over mutual TLS, the certificate naming the user', async () => {
    const producer = await transportFor(readKafkaSecurity(tlsSettings('producer')), TLS_BROKERS).producer();
    await producer.send(testEvents(names.input, 10, 6));
    // The same ACLs bind the certificate's CN: the producer's certificate may not write results.
    await expectAccessError(
      producer.send([{ topic: names.output, key: 'k', value: '{}' }]),
      'authorization',
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });
});

describe('least privilege: each component is denied what it must not do', () => {
  it('the dashboard cannot write calls_scored (it may write nowhere: not even an idempotent producer starts)', async () => {
    await expectAccessError(
      transportFor(as('dashboard'))
        .producer()
        .then((producer) =>
          producer.send([{ topic: names.output, key: 'fake', value: '{"predicted_label":0}' }]),
        ),
      'authorization',
      /denied \w+ access as dashboard .*(TOPIC|CLUSTER)_AUTHORIZATION_FAILED/,
    );
  });

  it('the producer cannot read calls_scored', async () => {
    const transport = transportFor(as('producer'));
    await expectAccessError(
      transport.consume({ group: unique('dashboard-producer'), topics: [names.output] }, () => []),
      'authorization',
      /AUTHORIZATION_FAILED/,
    );
  });

  it('the processor may create its own two topics but no other', async () => {
    const topicAdmin = createKafkajsTopicAdmin({
      brokers: SASL_BROKERS,
      clientId: 'security-test',
      logger: createLogger('security-test', 'silent'),
      maxRetryTimeMs: 1000,
      security: as('processor'),
    });
    try {
      const refused = await topicAdmin
        .ensureTopic({ topic: unique('not-the-processors'), partitions: 1, compacted: true })
        .then(
          () => undefined,
          (error: unknown) => error as Error & { errors?: { type?: string }[]; type?: string },
        );
      expect(refused, 'creating another topic should have been refused').toBeInstanceOf(Error);
      const reasons = [refused?.type, ...(refused?.errors ?? []).map((e) => e.type), refused?.message].join(
        ' ',
      );
      expect(reasons).toMatch(/TOPIC_AUTHORIZATION_FAILED|authorization failed/i);
    } finally {
      await topicAdmin.close();
    }
  });

  it('the processor cannot join another group', async () => {
    const transport = transportFor(as('processor'));
    const { seen, listener } = crashes();
    const subscription = await transport
      .consume({ group: unique('someone-else'), topics: [names.input], listener }, () => [])
      .catch((error: unknown) => error);
    const refusal = () =>
      subscription instanceof Error ? subscription : seen.find((e) => e instanceof KafkaAccessError);
    await vi.waitFor(
      () => {
        if (!refusal()) throw new Error('not refused yet');
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(refusal()).toBeInstanceOf(KafkaAccessError);
    expect(refusal()?.message).toMatch(/GROUP_AUTHORIZATION_FAILED/);
    if (!(subscription instanceof Error)) await (subscription as { stop(): Promise<void> }).stop();
  });

  it('refuses a client with no credentials, one with TLS but no login, and one with no client certificate', async () => {
    // Connecting alone may pass (the broker answers ApiVersions before a login): a real request must not.
    const connect = async (brokers: string[], ssl?: object) => {
      const admin = new Kafka({
        clientId: 'anonymous',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 5000,
        ...(ssl ? { ssl } : {}),
      }).admin();
      try {
        await admin.connect();
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    };
    await expect(connect(SASL_BROKERS)).rejects.toThrow();
    await expect(
      connect(SASL_BROKERS, { ca: readKafkaSecurity(saslSettings('admin')).ssl?.ca }),
    ).rejects.toThrow();
    await expect(
      connect(TLS_BROKERS, { ca: readKafkaSecurity(saslSettings('admin')).ssl?.ca }),
    ).rejects.toThrow();
  });
});

describe('clear errors for each way access fails', () => {
  it('a wrong password names the user and the password file', async () => {
    const wrong = tempFile('password', 'not-the-password');
    const transport = transportFor(
      readKafkaSecurity(saslSettings('processor', { KAFKA_SASL_PASSWORD_FILE: wrong })),
    );
    await expectAccessError(
      transport.producer(),
      'authentication',
      /refused the SASL login as processor .*KAFKA_SASL_PASSWORD_FILE/,
    );
  });

  it('a broker certificate from a foreign CA is not trusted, nor a client certificate from one', async () => {
    const dir = tempDir();
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=foreign-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    const transport = transportFor(
      readKafkaSecurity(saslSettings('processor', { KAFKA_SSL_CA_FILE: join(dir, 'ca.crt') })),
    );
    await expectAccessError(
      transport.producer(),
      'untrusted-certificate',
      /not trusted by KAFKA_SSL_CA_FILE/,
    );

    // And the other way round: a client certificate the foreign CA signed (CN=processor, but not ours) is refused.
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=processor',
      '-keyout',
      'fake.key',
      '-out',
      'fake.csr',
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      'fake.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-days',
      '1',
      '-out',
      'fake.crt',
    );
    const impostor = transportFor(
      readKafkaSecurity(
        tlsSettings('processor', {
          KAFKA_SSL_CERT_FILE: join(dir, 'fake.crt'),
          KAFKA_SSL_KEY_FILE: join(dir, 'fake.key'),
        }),
      ),
      TLS_BROKERS,
    );
    await expectAccessError(
      impostor.producer(),
      'tls',
      /TLS to Kafka failed as CN=processor: the broker closed the handshake/,
    );
  });

  it('an expired client certificate is named at start-up, and the broker refuses it too', async () => {
    const dir = tempDir();
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=processor',
      '-keyout',
      'old.key',
      '-out',
      'old.csr',
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      'old.csr',
      '-CA',
      join(HOME, 'tls/ca.crt'),
      '-CAkey',
      join(HOME, 'tls/ca.key'),
      '-days',
      '-1',
      '-out',
      'old.crt',
    );
    const settings = tlsSettings('processor', {
      KAFKA_SSL_CERT_FILE: join(dir, 'old.crt'),
      KAFKA_SSL_KEY_FILE: join(dir, 'old.key'),
    });
    expect(() => readKafkaSecurity(settings)).toThrow(ConfigError);
    expect(() => readKafkaSecurity(settings)).toThrow(
      /KAFKA_SSL_CERT_FILE=.*the client certificate expired on/,
    );

    // Past our own check, the broker refuses the handshake, and the error still says why.
    const read = (path: string) => readFileSync(path, 'utf8');
    const transport = transportFor(
      {
        protocol: 'SSL',
        ssl: { ca: read(CA_FILE), cert: read(join(dir, 'old.crt')), key: read(join(dir, 'old.key')) },
        identity: 'CN=processor',
        certificateValidTo: new Date(Date.now() - 86_400_000),
      },
      TLS_BROKERS,
    );
    await expectAccessError(transport.producer(), 'tls', /client certificate expired on/);
  });

  it('a processor refused by Kafka stays up, not ready, with the reason, and keeps retrying', async () => {
    const model = await modelFile(12);
    const processor = startService(PROCESSOR_MAIN, {
      KAFKA_BROKERS: SASL_BROKERS.join(','),
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_FILE: CA_FILE,
      KAFKA_SASL_USERNAME: 'processor',
      KAFKA_SASL_PASSWORD_FILE: tempFile('password', 'wrong'),
      INPUT_TOPIC: names.input,
      OUTPUT_TOPIC: names.output,
      DLQ_TOPIC: names.dlq,
      CONSUMER_GROUP: names.processorGroup,
      MODEL_PATH: model.path,
    });
    let problems: string[] = [];
    await vi.waitFor(
      async () => {
        const ready = (await processor.readyz()) as unknown as { ready: boolean; problems: string[] };
        problems = ready.problems;
        if (!problems.some((p) => /SASL login/.test(p))) throw new Error(`problems: ${problems.join('; ')}`);
      },
      { timeout: 90_000, interval: 250 },
    );
    expect(problems.join(' ')).toMatch(/refused the SASL login as processor/);
    expect(processor.child.exitCode).toBeNull();
    // One clear error line, not one per attempt.
    const errors = processor.lines.filter((l) => l.includes('refused the SASL login'));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    processor.kill('SIGTERM');
    expect(await processor.exited).toBe(0);
  });

  it('a key that is not the certificate key, or a missing password file, is a configuration error naming the variable', () => {
    expect(() =>
      readKafkaSecurity(tlsSettings('processor', { KAFKA_SSL_KEY_FILE: keyFile('producer') })),
    ).toThrow(/KAFKA_SSL_KEY_FILE is not the private key of KAFKA_SSL_CERT_FILE/);
    expect(() =>
      readKafkaSecurity(saslSettings('processor', { KAFKA_SASL_PASSWORD_FILE: join(HOME, 'missing') })),
    ).toThrow(/KAFKA_SASL_PASSWORD_FILE=.* cannot be read/);
  });
});

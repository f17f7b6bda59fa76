#!/usr/bin/env node
import { defaultFor, parseWorldStart, SETTINGS, type WorldStart } from '@scam-detector/core';
import { registerTrainerCommands } from '@scam-detector/trainer';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runService } from './delegate.js';
import { startEmbedded } from './embedded.js';

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const worldStart = (value: string): WorldStart => {
  try {
    return parseWorldStart(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const port = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('must be a port number');
  return Number(value);
};

/** Where `start` begins the world's day: a morning, when every kind of caller is about (not a quiet night). */
const DEMO_START = '08:00';

const program = new Command('scam-detector')
  .description('Real-time scam call detection: Kafka in, KNN scores out, live dashboard.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('start')
  .description(
    'run producer (the simulated world), processor and dashboard in one process (in-memory bus, or Kafka when KAFKA_BROKERS is set); trains the behavioural model first if there is none',
  )
  .option('--port <port>', 'dashboard port (PORT)', port, Number(process.env.PORT ?? 8080))
  .addOption(
    new Option('--profile <name>', 'event stream: the simulated world, or the generator (default, prototype)')
      .choices(['world', 'default', 'prototype'])
      .default('world'),
  )
  .option('--speedup <x>', 'world profile: simulated seconds per wall-clock second', positive, 60)
  .addOption(
    new Option(
      '--start <when>',
      'world profile: where the simulated clock starts: a local time HH:MM (UTC+8; the default, a morning, shows every kind of caller at once), now, or an ISO instant',
    )
      .argParser(worldStart)
      .default(parseWorldStart(DEMO_START), DEMO_START),
  )
  .option('--rate <events/s>', 'calls per second of the default and prototype profiles', positive, 50)
  .option(
    '--model <path>',
    'model file (trained here if missing)',
    process.env.MODEL_PATH ?? 'models/model.json',
  )
  .option(
    '--prototype',
    'when the model is missing, train the stateless prototype model instead of the behavioural one',
  )
  .option('--samples <n>', 'with --prototype: rows to train on when the model is missing', positive, 125_000)
  .option(
    '--scale <x>',
    "when training the behavioural model: the simulated world's population as a fraction (quick runs)",
    positive,
    1,
  )
  .action(
    async (opts: {
      port: number;
      profile: 'world' | 'default' | 'prototype';
      speedup: number;
      start: WorldStart;
      rate: number;
      model: string;
      prototype?: boolean;
      samples: number;
      scale: number;
    }) => {
      await startEmbedded({
        port: opts.port,
        profile: opts.profile,
        speedup: opts.speedup,
        start: opts.start,
        rate: opts.rate,
        modelPath: opts.model,
        prototype: opts.prototype === true,
        trainSamples: opts.samples,
        trainScale: opts.scale,
        env: process.env,
      });
    },
  );

registerTrainerCommands(program);

/** Subcommands that are a service of their own: the arguments go to that service untouched. */
const services = [
  ['produce', 'producer', 'send simulated call events to Kafka (see: scam-detector produce --help)'],
  [
    'process',
    'processor',
    'score calls_raw into calls_scored and the DLQ, configured by environment (see docs/configuration.md)',
  ],
  [
    'dashboard',
    'dashboard',
    'serve the live dashboard from calls_scored (see: scam-detector dashboard --help)',
  ],
] as const;
for (const [name, service, description] of services) {
  program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_opts: unknown, command: Command) => {
      if (service === 'processor' && command.args.some((a) => a === '--help' || a === '-h')) {
        console.log(processorHelp());
        return;
      }
      process.exitCode = await runService(service, command.args);
    });
}

/** The processor is configured by environment only: its help is the list of what it reads. */
function processorHelp(): string {
  const lines = Object.entries(SETTINGS)
    .filter(([, setting]) => (setting.services as readonly string[]).includes('processor'))
    .map(
      ([name, setting]) =>
        `  ${name.padEnd(26)} ${setting.doc} (default: ${JSON.stringify(defaultFor(setting, 'processor') ?? '')})`,
    );
  return [
    'Usage: scam-detector process',
    '',
    'Scores calls_raw into calls_scored and the DLQ. Configured by environment:',
    '',
    ...lines,
  ].join('\n');
}

program
  .command('replay')
  .description('serve a recording (CSV or JSONL) on the dashboard with no broker at all')
  .argument('<file>', 'a recording: the old dashboard CSV or JSONL of scored events (an export replays)')
  .helpOption(false)
  .allowUnknownOption()
  .allowExcessArguments()
  .action(async (file: string, _opts: unknown, command: Command) => {
    process.exitCode = await runService('dashboard', ['--replay', file, ...command.args.slice(1)]);
  });

await program.parseAsync();

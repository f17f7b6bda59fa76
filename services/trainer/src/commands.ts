import {
  type AnyModel,
  BehaviourScorer,
  createProgress,
  encodeBehaviourModel,
  encodeModel,
  ModelArtifactError,
  readAnyModelFile,
  Scorer,
  silentProgress,
  writeFileAtomic,
} from '@scam-detector/core';
import { describeApiError, loadKubeConfig, resolveNamespace, writeModelConfigMap } from '@scam-detector/kube';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { evaluateFresh, evaluationJson } from './evaluate.js';
import { evaluateOnWorld } from './evaluate-world.js';
import { formatEvaluation, formatTraining, formatWorldEvaluation } from './report.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from './train.js';
import {
  type BehaviourTrainOptions,
  DEFAULT_BEHAVIOUR_OPTIONS,
  simulateTrainingRows,
  statelessBaseline,
  trainBehaviourModel,
  worldAtScale,
} from './train-behaviour.js';

/** A ConfigMap holds at most 1 MiB; we keep a margin for the object's own metadata. */
export const ARTIFACT_LIMIT_BYTES = 900 * 1024;

export const EXIT = { ok: 0, failure: 1, usage: 2, badModel: 3 } as const;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

interface TrainCliOptions {
  prototype?: boolean;
  samples?: number;
  seed?: number;
  folds?: number;
  selectBy?: 'brier' | 'accuracy';
  days: number;
  warmupDays: number;
  k: number;
  scale: number;
  out: string;
  json?: boolean;
  configmap?: string;
  namespace?: string;
}

async function publishToConfigMap(
  name: string,
  namespace: string | undefined,
  json: string,
  version: string,
): Promise<string> {
  const kc = loadKubeConfig();
  const ns = namespace ?? resolveNamespace(kc);
  try {
    const outcome = await writeModelConfigMap(kc, { name, namespace: ns, json, version });
    return `${outcome} ConfigMap ${ns}/${name} with model_version ${version}`;
  } catch (error) {
    console.error(`cannot write ConfigMap ${ns}/${name}: ${describeApiError(error)}`);
    process.exit(EXIT.failure);
  }
}

async function writeArtifact(
  json: string,
  version: string,
  opts: TrainCliOptions,
): Promise<{ bytes: number; configMapNote: string }> {
  const bytes = Buffer.byteLength(json);
  if (bytes > ARTIFACT_LIMIT_BYTES) {
    console.error(
      `model is ${(bytes / 1024).toFixed(0)} KiB, over the ${ARTIFACT_LIMIT_BYTES / 1024} KiB a ConfigMap can safely hold; train on fewer ${opts.prototype ? '--samples' : '--days'}`,
    );
    process.exit(EXIT.failure);
  }
  await writeFileAtomic(opts.out, json);
  const configMapNote = opts.configmap
    ? await publishToConfigMap(opts.configmap, opts.namespace, json, version)
    : '';
  return { bytes, configMapNote };
}

async function trainBehaviour(opts: TrainCliOptions): Promise<void> {
  const started = performance.now();
  const options: BehaviourTrainOptions = {
    ...DEFAULT_BEHAVIOUR_OPTIONS,
    seed: opts.seed ?? DEFAULT_BEHAVIOUR_OPTIONS.seed,
    days: opts.days,
    warmupDays: opts.warmupDays,
    k: opts.k,
  };
  const world = worldAtScale(opts.scale);
  if (world) options.world = world;
  const model = trainBehaviourModel(options, opts.json ? silentProgress : createProgress());
  const { json, version } = encodeBehaviourModel(model);
  const { bytes, configMapNote } = await writeArtifact(json, version, opts);
  const validation = (model.training as { validation: Record<string, number> }).validation;
  if (opts.json) {
    console.log(
      JSON.stringify({
        model_version: version,
        kind: 'behaviour',
        feature_set: model.featureSet,
        k: model.params.k,
        threshold: model.params.threshold,
        cells: model.cells.legit.length,
        validation,
        out: opts.out,
        bytes,
        configmap: configMapNote || undefined,
      }),
    );
    return;
  }
  console.log(
    [
      `behavioural model ${version}: feature set ${model.featureSet.name} v${model.featureSet.version}, k=${model.params.k}, ${model.cells.legit.length} cells`,
      `threshold ${model.params.threshold.toFixed(4)} chosen on a validation day (seed ${validation.seed}): bulk callers flagged ${(100 * (validation.bulk_flagged ?? 0)).toFixed(2)}%, precision ${(validation.precision ?? 0).toFixed(4)}, recall ${(validation.recall ?? 0).toFixed(4)}`,
      `wrote ${opts.out} (${(bytes / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s; \`evaluate --model ${opts.out}\` compares it with the stateless model on a fresh seed`,
    ].join('\n'),
  );
  if (configMapNote) console.log(configMapNote);
}

async function trainPrototype(
  opts: TrainCliOptions & { samples: number; seed: number; folds: number; selectBy: 'brier' | 'accuracy' },
): Promise<void> {
  if (opts.samples < opts.folds * 10) {
    console.error(`--samples ${opts.samples} is too few for ${opts.folds}-fold cross-validation`);
    process.exit(EXIT.usage);
  }
  const started = performance.now();
  const model = trainModel(
    {
      ...DEFAULT_TRAIN_OPTIONS,
      samples: opts.samples,
      seed: opts.seed,
      folds: opts.folds,
      selectBy: opts.selectBy,
    },
    opts.json ? silentProgress : createProgress(),
  );
  const { json, version } = encodeModel(model);
  const { bytes, configMapNote } = await writeArtifact(json, version, opts);
  const evaluation = model.evaluation;
  if (evaluation === null) throw new Error('training produced no evaluation');
  if (opts.json) {
    console.log(
      JSON.stringify({
        ...evaluationJson({
          model_version: version,
          k: model.params.k,
          report: evaluation.test,
          bayes: evaluation.bayes,
        }),
        out: opts.out,
        bytes,
        configmap: configMapNote || undefined,
      }),
    );
    return;
  }
  console.log(formatTraining(evaluation, version));
  console.log(
    `\nwrote ${opts.out} (${(bytes / 1024).toFixed(0)} KiB, model_version ${version}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (configMapNote) console.log(configMapNote);
}

/** Re-simulates the behavioural model's training period and trains the stateless baseline on the same calls. */
function baselineFor(training: Record<string, unknown> | null, k: number): Scorer {
  const t = (training ?? {}) as Partial<{
    seed: number;
    days: number;
    warmup_days: number;
    per_scenario: BehaviourTrainOptions['perScenario'];
    world: BehaviourTrainOptions['world'];
  }>;
  const options: BehaviourTrainOptions = {
    ...DEFAULT_BEHAVIOUR_OPTIONS,
    seed: t.seed ?? DEFAULT_BEHAVIOUR_OPTIONS.seed,
    days: t.days ?? DEFAULT_BEHAVIOUR_OPTIONS.days,
    warmupDays: t.warmup_days ?? DEFAULT_BEHAVIOUR_OPTIONS.warmupDays,
    perScenario: t.per_scenario ?? DEFAULT_BEHAVIOUR_OPTIONS.perScenario,
    ...(t.world ? { world: t.world } : {}),
  };
  return new Scorer(statelessBaseline(simulateTrainingRows(options), k, new Date(0)));
}

/** `train` and `evaluate`, shared by the trainer's own binary and the project CLI. */
export function registerTrainerCommands(program: Command): void {
  program
    .command('train')
    .description(
      'train the behavioural model on a simulated telecom world (default), or with --prototype the stateless model on the i.i.d. generator; evaluate; write the model file',
    )
    .option(
      '--prototype',
      'train the stateless prototype-feature model instead (--samples, --folds, --select-by)',
    )
    .option(
      '--seed <n>',
      'seed for the simulated world (or the prototype data, split and folds)',
      wholeNumber,
    )
    .option(
      '--days <n>',
      'simulated days trained on, after the warm-up',
      positiveInteger,
      DEFAULT_BEHAVIOUR_OPTIONS.days,
    )
    .option(
      '--warmup-days <n>',
      "simulated days that only fill the callers' state",
      positiveInteger,
      DEFAULT_BEHAVIOUR_OPTIONS.warmupDays,
    )
    .option('--k <n>', 'neighbours of the behavioural model', positiveInteger, DEFAULT_BEHAVIOUR_OPTIONS.k)
    .option('--scale <x>', "the world's population as a fraction of the default (quick runs)", fraction, 1)
    .option(
      '--samples <n>',
      `with --prototype: rows to generate (80% train, 20% held out; default ${DEFAULT_TRAIN_OPTIONS.samples})`,
      positiveInteger,
    )
    .option(
      '--folds <n>',
      `with --prototype: cross-validation folds (default ${DEFAULT_TRAIN_OPTIONS.folds})`,
      positiveInteger,
    )
    .addOption(
      new Option(
        '--select-by <metric>',
        'with --prototype: what cross-validation minimises/maximises',
      ).choices(['brier', 'accuracy']),
    )
    .option('--out <path>', 'where to write the model', 'models/model.json')
    .option('--json', 'print the evaluation as JSON instead of a table')
    .option('--configmap <name>', 'also write the model into this Kubernetes ConfigMap (create, or replace)')
    .option(
      '--namespace <ns>',
      "namespace of --configmap (default: KUBE_NAMESPACE, the pod's, or the kubeconfig's)",
    )
    .action(async (opts: TrainCliOptions) => {
      if (!opts.prototype) {
        const prototypeOnly = (['samples', 'folds', 'selectBy'] as const).filter(
          (o) => opts[o] !== undefined,
        );
        if (prototypeOnly.length > 0) {
          console.error(
            `${prototypeOnly.map((o) => `--${o === 'selectBy' ? 'select-by' : o}`).join(', ')} belong to the stateless prototype model: add --prototype, or use --days for the behavioural model`,
          );
          process.exit(EXIT.usage);
        }
        await trainBehaviour(opts);
        return;
      }
      await trainPrototype({
        ...opts,
        samples: opts.samples ?? DEFAULT_TRAIN_OPTIONS.samples,
        seed: opts.seed ?? DEFAULT_TRAIN_OPTIONS.seed,
        folds: opts.folds ?? DEFAULT_TRAIN_OPTIONS.folds,
        selectBy: opts.selectBy ?? DEFAULT_TRAIN_OPTIONS.selectBy,
      });
    });

  program
    .command('evaluate')
    .description(
      "behavioural model: score a fresh seed's simulated day beside the stateless model, per scenario; prototype model: score fresh i.i.d. rows against the Bayes-optimal ceiling",
    )
    .requiredOption('--model <path>', 'model file to evaluate')
    .option('--samples <n>', 'prototype model: fresh rows to generate', positiveInteger, 100_000)
    .option('--seed <n>', 'seed for the fresh rows or world (use one the trainer did not)', wholeNumber, 7)
    .option('--days <n>', 'behavioural model: simulated days scored', positiveInteger, 1)
    .option('--warmup-days <n>', 'behavioural model: simulated days before, not scored', positiveInteger, 1)
    .option('--json', 'print one JSON object instead of a table')
    .action(
      async (opts: {
        model: string;
        samples: number;
        seed: number;
        days: number;
        warmupDays: number;
        json?: boolean;
      }) => {
        let loaded: AnyModel;
        try {
          loaded = await readAnyModelFile(opts.model);
        } catch (error) {
          const reason =
            error instanceof ModelArtifactError
              ? `${error.code}: ${error.message}`
              : (error as Error).message;
          console.error(`cannot load ${opts.model}: ${reason}`);
          process.exit(EXIT.badModel);
        }
        if (loaded.kind === 'behaviour') {
          const model = loaded.model;
          const training = model.training as { world?: BehaviourTrainOptions['world'] } | null;
          const evaluation = evaluateOnWorld(
            new BehaviourScorer(model),
            baselineFor(model.training, model.params.k),
            {
              seed: opts.seed,
              days: opts.days,
              warmupDays: opts.warmupDays,
              ...(training?.world ? { world: training.world } : {}),
            },
          );
          console.log(opts.json ? JSON.stringify(evaluation) : formatWorldEvaluation(evaluation));
          return;
        }
        const evaluation = evaluateFresh(new Scorer(loaded.model), opts.samples, opts.seed);
        console.log(opts.json ? JSON.stringify(evaluationJson(evaluation)) : formatEvaluation(evaluation));
      },
    );
}

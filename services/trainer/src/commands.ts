import { randomInt } from 'node:crypto';
import {
  createProgress,
  encodeModel,
  ModelArtifactError,
  readModelFile,
  Scorer,
  silentProgress,
  writeFileAtomic,
} from '@scam-detector/core';
import { describeApiError, loadKubeConfig, resolveNamespace, writeModelConfigMap } from '@scam-detector/kube';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { evaluateFresh, evaluationJson } from './evaluate.js';
import { formatEvaluation, formatTraining } from './report.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from './train.js';

/** A ConfigMap holds at most 1 MiB; we keep a margin for the object's own metadata. */
export const ARTIFACT_LIMIT_BYTES = 900 * 1024;

export const EXIT = { ok: 0, failure: 1, usage: 2, badModel: 3 } as const;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** A whole number, or `random`: a fresh seed each run (a retrain learns from new data), printed with the result. */
export function seedArgument(value: string): number {
  if (value === 'random') return randomInt(0, 2 ** 31);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number or "random"');
  return Number(value);
}

interface TrainCliOptions {
  samples: number;
  seed: number;
  folds: number;
  selectBy: 'brier' | 'accuracy';
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

/** `train` and `evaluate`, shared by the trainer's own binary and the project CLI. */
export function registerTrainerCommands(program: Command): void {
  program
    .command('train')
    .description('generate data, choose k by cross-validation, evaluate, and write the model file')
    .option(
      '--samples <n>',
      'rows to generate (80% train, 20% held out)',
      positiveInteger,
      DEFAULT_TRAIN_OPTIONS.samples,
    )
    .option(
      '--seed <n|random>',
      'seed for data, split and folds; "random" draws a new one (retraining on new data)',
      seedArgument,
      DEFAULT_TRAIN_OPTIONS.seed,
    )
    .option('--folds <n>', 'cross-validation folds', positiveInteger, DEFAULT_TRAIN_OPTIONS.folds)
    .addOption(
      new Option('--select-by <metric>', 'what cross-validation minimises/maximises')
        .choices(['brier', 'accuracy'])
        .default('brier'),
    )
    .option('--out <path>', 'where to write the model', 'models/model.json')
    .option('--json', 'print the held-out evaluation as JSON instead of a table')
    .option('--configmap <name>', 'also write the model into this Kubernetes ConfigMap (create, or replace)')
    .option(
      '--namespace <ns>',
      "namespace of --configmap (default: KUBE_NAMESPACE, the pod's, or the kubeconfig's)",
    )
    .action(async (opts: TrainCliOptions) => {
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
      const bytes = Buffer.byteLength(json);
      if (bytes > ARTIFACT_LIMIT_BYTES) {
        console.error(
          `model is ${(bytes / 1024).toFixed(0)} KiB, over the ${ARTIFACT_LIMIT_BYTES / 1024} KiB a ConfigMap can safely hold; train on fewer --samples`,
        );
        process.exit(EXIT.failure);
      }
      await writeFileAtomic(opts.out, json);
      const configMapNote = opts.configmap
        ? await publishToConfigMap(opts.configmap, opts.namespace, json, version)
        : '';
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
    });

  program
    .command('evaluate')
    .description('score freshly generated rows with a model file and compare with the Bayes-optimal ceiling')
    .requiredOption('--model <path>', 'model file to evaluate')
    .option('--samples <n>', 'fresh rows to generate', positiveInteger, 100_000)
    .option('--seed <n>', 'seed for the fresh rows (use one the trainer did not)', wholeNumber, 7)
    .option('--json', 'print one JSON object instead of a table')
    .action(async (opts: { model: string; samples: number; seed: number; json?: boolean }) => {
      let scorer: Scorer;
      try {
        scorer = new Scorer(await readModelFile(opts.model));
      } catch (error) {
        const reason =
          error instanceof ModelArtifactError ? `${error.code}: ${error.message}` : (error as Error).message;
        console.error(`cannot load ${opts.model}: ${reason}`);
        process.exit(EXIT.badModel);
      }
      const evaluation = evaluateFresh(scorer, opts.samples, opts.seed);
      console.log(opts.json ? JSON.stringify(evaluationJson(evaluation)) : formatEvaluation(evaluation));
    });
}

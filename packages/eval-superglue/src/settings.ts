/**
 * Fine-tuning settings: the reference recipe (spec §9.3) as defaults, the per-task values of
 * `eval_finetuning.sh`, then overrides from the experiment file / CLI (`settings`), globally or per task:
 *   { epochs: 1, maxTrainExamples: 500, perTask: { wsc: { epochs: 3 } } }
 * A `profile: 'fast'` preset gives a quick CPU run. Unknown keys and bad values are ConfigErrors.
 */
import { ConfigError, type ClassifierRecipe } from '@class-it/core';
import { TASKS, TASK_NAMES, isTaskName, type MetricName, type TaskName } from './tasks.js';

export interface TaskSettings extends ClassifierRecipe {
  metricForValid: MetricName;
  /** Use only the first N rows of the train / valid file (a fast profile); unset = all. */
  maxTrainExamples?: number;
  maxValidExamples?: number;
  /** Save the best fine-tuned backbone + head into `<task>/model/`. */
  saveModel: boolean;
  /** Keep the per-epoch trainer state after a task finished (it is deleted by default: weights are large). */
  keepState: boolean;
}

/** The reference recipe (`finetune/run.py` defaults + `eval_finetuning.sh`), task-independent part. */
export const REFERENCE_RECIPE = {
  learningRate: 3e-5,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  evalBatchSize: 64,
  warmupFraction: 0.06,
  minFactor: 0.1,
  maxLength: 512,
  seed: 42,
  dropout: 0.1,
  pooling: 'first',
  paddingSide: 'right',
  saveModel: false,
  keepState: false,
} as const satisfies Partial<TaskSettings>;

/** A quick profile for CPU users: one epoch on the first 1000 train rows, 500 valid rows, 128 tokens. */
export const FAST_PROFILE: Partial<TaskSettings> = { epochs: 1, maxTrainExamples: 1000, maxValidExamples: 500, maxLength: 128 };

type Check = (value: unknown) => string | undefined;
const positiveInt: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : 'a positive integer');
const nonNegativeInt: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : 'a non-negative integer');
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive number');
const nonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a non-negative number');
const fraction: Check = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'a number in [0, 1)');
const unitInterval: Check = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number in [0, 1]');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const oneOf = (...values: string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `one of ${values.join(', ')}`);

const CHECKS: Record<keyof TaskSettings, Check> = {
  learningRate: positive, beta1: fraction, beta2: fraction, epsilon: positive, weightDecay: nonNegative,
  batchSize: positiveInt, evalBatchSize: positiveInt, epochs: positiveInt, warmupFraction: fraction,
  minFactor: unitInterval, maxLength: positiveInt, seed: nonNegativeInt, dropout: fraction,
  pooling: oneOf('first', 'last'), paddingSide: oneOf('right', 'left'), metricForValid: oneOf('accuracy', 'f1', 'mcc'),
  maxTrainExamples: positiveInt, maxValidExamples: positiveInt, saveModel: bool, keepState: bool, microBatchTokens: positiveInt,
};

/** Short names accepted as well (the reference's flag names). */
const ALIASES: Record<string, keyof TaskSettings> = { lr: 'learningRate', learning_rate: 'learningRate', sequenceLength: 'maxLength', sequence_length: 'maxLength', batch_size: 'batchSize', weight_decay: 'weightDecay' };

function parseOverrides(raw: Record<string, unknown>, where: string): Partial<TaskSettings> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = (ALIASES[key] ?? key) as keyof TaskSettings;
    const check = CHECKS[name];
    if (!check) {
      throw new ConfigError(`unknown setting (known: ${[...Object.keys(CHECKS), ...Object.keys(ALIASES), 'profile', 'perTask'].join(', ')})`, { field: `${where}${key}` });
    }
    const problem = check(value);
    if (problem) throw new ConfigError(`expected ${problem}, got ${JSON.stringify(value)}`, { field: `${where}${key}` });
    out[name] = value;
  }
  return out as Partial<TaskSettings>;
}

export interface ParsedSettings {
  /** Resolved settings of one task. */
  forTask(task: TaskName): TaskSettings;
}

export function parseSettings(settings: Record<string, unknown>): ParsedSettings {
  const { profile = 'reference', perTask = {}, ...global } = settings;
  if (profile !== 'reference' && profile !== 'fast') {
    throw new ConfigError(`expected reference or fast, got ${JSON.stringify(profile)}`, { field: 'settings.profile' });
  }
  if (typeof perTask !== 'object' || perTask === null || Array.isArray(perTask)) {
    throw new ConfigError('expected an object of task -> settings', { field: 'settings.perTask' });
  }
  const globalOverrides = parseOverrides(global, 'settings.');
  const taskOverrides: Partial<Record<TaskName, Partial<TaskSettings>>> = {};
  for (const [task, raw] of Object.entries(perTask as Record<string, unknown>)) {
    if (!isTaskName(task)) throw new ConfigError(`unknown task (known: ${TASK_NAMES.join(', ')})`, { field: `settings.perTask.${task}` });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError('expected an object of settings', { field: `settings.perTask.${task}` });
    }
    taskOverrides[task] = parseOverrides(raw as Record<string, unknown>, `settings.perTask.${task}.`);
  }
  return {
    forTask(task) {
      const def = TASKS[task];
      return {
        ...REFERENCE_RECIPE,
        batchSize: def.batchSize,
        epochs: def.epochs,
        metricForValid: def.metricForValid,
        ...(profile === 'fast' ? FAST_PROFILE : {}),
        ...globalOverrides,
        ...taskOverrides[task],
      };
    },
  };
}

/** The part of the settings the trainer receives. */
export function recipeOf(s: TaskSettings): ClassifierRecipe {
  return {
    learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, weightDecay: s.weightDecay,
    batchSize: s.batchSize, evalBatchSize: s.evalBatchSize, epochs: s.epochs, warmupFraction: s.warmupFraction,
    minFactor: s.minFactor, maxLength: s.maxLength, seed: s.seed, dropout: s.dropout, pooling: s.pooling,
    paddingSide: s.paddingSide,
    ...(s.microBatchTokens !== undefined ? { microBatchTokens: s.microBatchTokens } : {}),
  };
}

/**
 * The seven (Super)GLUE tasks of the BabyLM 2025 fine-tuning evaluation (spec §9.1): their files, how a row
 * becomes the (A, B) text pair the reference's `dataset.py` builds, label counts and the per-task settings of
 * `eval_finetuning.sh`.
 */

import { ConfigError } from '@class-it/core';

export type TaskName = 'boolq' | 'multirc' | 'rte' | 'wsc' | 'mrpc' | 'qqp' | 'mnli';
export type MetricName = 'accuracy' | 'f1' | 'mcc';

/** The reference's order (`eval_finetuning.sh`). */
export const TASK_NAMES: TaskName[] = ['boolq', 'multirc', 'rte', 'wsc', 'mrpc', 'qqp', 'mnli'];

/** The task name that runs all seven. */
export const ALL_TASKS = 'glue';

export interface TaskDefinition {
  name: TaskName;
  numLabels: number;
  /** Fields every row must have as strings (besides `label`). */
  textFields: string[];
  /** The (A, B) pair the tokenizer receives as a pair. */
  formInput(row: Record<string, string>): { textA: string; textB: string };
  batchSize: number;
  epochs: number;
  /** Model selection metric on the valid split (strict improvement keeps an epoch). */
  metricForValid: MetricName;
  /** Metrics written to `results.txt`, in order. */
  metrics: MetricName[];
  /** The metric of the 2024 leaderboard scorer (F1 for MRPC/QQP, accuracy otherwise). */
  leaderboardMetric: MetricName;
}

const BINARY_METRICS: MetricName[] = ['accuracy', 'f1', 'mcc'];

function pair(a: string, b: string): TaskDefinition['formInput'] {
  return (row) => ({ textA: row[a]!, textB: row[b]! });
}

export const TASKS: Record<TaskName, TaskDefinition> = {
  boolq: {
    name: 'boolq', numLabels: 2, textFields: ['question', 'passage'], formInput: pair('question', 'passage'),
    batchSize: 16, epochs: 10, metricForValid: 'accuracy', metrics: BINARY_METRICS, leaderboardMetric: 'accuracy',
  },
  multirc: {
    name: 'multirc', numLabels: 2, textFields: ['paragraph', 'question', 'answer'],
    formInput: (row) => ({ textA: `Question: ${row.question} Answer: ${row.answer}`, textB: row.paragraph! }),
    batchSize: 16, epochs: 10, metricForValid: 'accuracy', metrics: BINARY_METRICS, leaderboardMetric: 'accuracy',
  },
  rte: {
    name: 'rte', numLabels: 2, textFields: ['sentence1', 'sentence2'], formInput: pair('sentence1', 'sentence2'),
    batchSize: 32, epochs: 10, metricForValid: 'accuracy', metrics: BINARY_METRICS, leaderboardMetric: 'accuracy',
  },
  wsc: {
    name: 'wsc', numLabels: 2, textFields: ['text', 'span1_text', 'span2_text'],
    formInput: (row) => ({ textA: `Does "${row.span2_text}" refer to "${row.span1_text}" in this passage?`, textB: row.text! }),
    batchSize: 32, epochs: 30, metricForValid: 'accuracy', metrics: BINARY_METRICS, leaderboardMetric: 'accuracy',
  },
  mrpc: {
    name: 'mrpc', numLabels: 2, textFields: ['sentence1', 'sentence2'], formInput: pair('sentence1', 'sentence2'),
    batchSize: 32, epochs: 10, metricForValid: 'f1', metrics: BINARY_METRICS, leaderboardMetric: 'f1',
  },
  qqp: {
    name: 'qqp', numLabels: 2, textFields: ['question1', 'question2'], formInput: pair('question1', 'question2'),
    batchSize: 32, epochs: 10, metricForValid: 'f1', metrics: BINARY_METRICS, leaderboardMetric: 'f1',
  },
  mnli: {
    name: 'mnli', numLabels: 3, textFields: ['premise', 'hypothesis'], formInput: pair('premise', 'hypothesis'),
    batchSize: 32, epochs: 10, metricForValid: 'accuracy', metrics: ['accuracy'], leaderboardMetric: 'accuracy',
  },
};

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as string[]).includes(name);
}

/** The tasks a requested name stands for (`glue` = all seven). */
export function tasksFor(name: string): TaskName[] {
  if (name === ALL_TASKS) return [...TASK_NAMES];
  if (isTaskName(name)) return [name];
  throw new ConfigError(`unknown (Super)GLUE task '${name}' (known: ${[...TASK_NAMES, ALL_TASKS].join(', ')})`);
}

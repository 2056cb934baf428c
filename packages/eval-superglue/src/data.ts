/**
 * Reading a task's `<task>.{train,valid}.jsonl` (BabyLM `glue_filtered` layout) into classification examples.
 * Every bad row fails with a DataError naming the file, the line and the field.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, ConfigError, typeOf, type ClassificationExample } from '@class-it/core';
import { readJsonl } from '@class-it/data-sources';
import type { TaskDefinition, TaskName } from './tasks.js';

export type Split = 'train' | 'valid';

export interface TaskSplit {
  file: string;
  examples: ClassificationExample[];
}

/** Data directories tried under the given one, so `glue_filtered/`, its parent, or a BabyLM `evaluation_data/`
 *  root all work. */
const LAYOUTS = ['.', 'glue_filtered', 'glue/glue_filtered', 'full_eval/glue_filtered', 'evaluation_data/full_eval/glue_filtered'];

export function splitFileName(task: TaskName, split: Split): string {
  return `${task}.${split}.jsonl`;
}

/** The directory holding `<task>.valid.jsonl`, or a ConfigError listing where it looked. */
export async function resolveTaskDir(dataDir: string, task: TaskName): Promise<string> {
  const tried: string[] = [];
  for (const layout of LAYOUTS) {
    const dir = path.resolve(dataDir, layout);
    const file = path.join(dir, splitFileName(task, 'valid'));
    tried.push(file);
    try {
      await fs.access(file);
      return dir;
    } catch {
      // try the next layout
    }
  }
  throw new ConfigError(`no ${splitFileName(task, 'valid')} found for task '${task}' (looked at: ${tried.join(', ')})`);
}

export async function readTaskSplit(dir: string, task: TaskDefinition, split: Split): Promise<TaskSplit> {
  const file = path.join(dir, splitFileName(task.name, split));
  try {
    await fs.access(file);
  } catch {
    throw new ConfigError(`missing ${split} file for task '${task.name}': ${file}`);
  }
  const rows = await readJsonl(file);
  const examples = rows.map((row) => exampleFromRow(task, row.value, file, row.line));
  if (examples.length === 0) throw new DataError('the file has no rows', { file });
  return { file, examples };
}

/** One JSONL row -> the (A, B, label) example of its task. */
export function exampleFromRow(task: TaskDefinition, value: Record<string, unknown>, file: string, line: number): ClassificationExample {
  const texts: Record<string, string> = {};
  for (const field of task.textFields) {
    const v = value[field];
    if (typeof v !== 'string') {
      throw new DataError(v === undefined ? 'missing field' : `expected a string, got ${typeOf(v)}`, { file, line, field });
    }
    texts[field] = v;
  }
  const label = value.label;
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= task.numLabels) {
    const got = label === undefined ? 'missing field' : `expected an integer label in [0, ${task.numLabels - 1}], got ${JSON.stringify(label)}`;
    throw new DataError(got, { file, line, field: 'label' });
  }
  const { textA, textB } = task.formInput(texts);
  return { textA, textB, label };
}

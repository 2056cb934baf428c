import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, ConfigError } from '@class-it/core';
import { TASKS, readTaskSplit, resolveTaskDir, parseSettings, tasksFor, TASK_NAMES } from '../src/index.js';
import { GLUE_DIR, tempDir, writeJsonl } from './helpers.js';

const haveData = existsSync(GLUE_DIR);
if (!haveData) console.warn(`SKIPPED: (Super)GLUE input-forming tests: eval data not found at ${GLUE_DIR}`);

describe.skipIf(!haveData)('input forming on real glue_filtered rows', () => {
  it('RTE: A = sentence1, B = sentence2', async () => {
    const { examples } = await readTaskSplit(GLUE_DIR, TASKS.rte, 'valid');
    expect(examples).toHaveLength(139);
    expect(examples[0]).toEqual({
      textA: 'Deceased U.S. soldiers and their effects were evacuated to Japan and then shipped home in refrigerated containers for interment in the U.S.',
      textB: 'The U.S. military evacuated U.S. citizens.',
      label: 1,
    });
  });

  it('WSC: A = the span question, B = text', async () => {
    const { examples } = await readTaskSplit(GLUE_DIR, TASKS.wsc, 'valid');
    expect(examples).toHaveLength(52);
    expect(examples[0]).toEqual({
      textA: 'Does "he" refer to "Joe" in this passage?',
      textB: "Joe Joe's uncle can still beat him at tennis, even though he is 30 years older.",
      label: 0,
    });
  });

  it('MultiRC: A = "Question: {question} Answer: {answer}", B = paragraph', async () => {
    const { examples } = await readTaskSplit(GLUE_DIR, TASKS.multirc, 'valid');
    expect(examples).toHaveLength(2424);
    expect(examples[0]!.textA).toBe('Question: What communication could not be sent? Answer: Wire');
    expect(examples[0]!.textB!.startsWith('He read the telegram again.  In desperation')).toBe(true);
    expect(examples[0]!.label).toBe(0);
  });

  it('BoolQ: A = question, B = passage', async () => {
    const { examples } = await readTaskSplit(GLUE_DIR, TASKS.boolq, 'valid');
    expect(examples).toHaveLength(1635);
    expect(examples[0]!.textA).toBe('can u get held back in 8th grade');
    expect(examples[0]!.textB!.startsWith('Grade retention -- In most countries')).toBe(true);
    expect(examples[0]!.label).toBe(1);
  });

  it('MRPC, QQP, MNLI train files: their pairs and label counts', async () => {
    const mrpc = await readTaskSplit(GLUE_DIR, TASKS.mrpc, 'train');
    expect(mrpc.examples).toHaveLength(3668);
    expect(mrpc.examples[0]!.textA.startsWith('Amrozi accused his brother')).toBe(true);
    expect(mrpc.examples[0]!.textB!.startsWith('Referring to him as only')).toBe(true);
    const qqp = await readTaskSplit(GLUE_DIR, TASKS.qqp, 'train');
    expect(qqp.examples).toHaveLength(10000);
    expect(qqp.examples[0]).toEqual({ textA: 'How do I crack JEE in a month?', textB: 'How do I crack JEE in 4-5 months?', label: 0 });
    const mnli = await readTaskSplit(GLUE_DIR, TASKS.mnli, 'valid');
    expect(mnli.examples).toHaveLength(4908);
    expect(new Set(mnli.examples.map((e) => e.label))).toEqual(new Set([0, 1, 2]));
    expect(mnli.examples[0]!.textB).toBe('You will not be allowed to consult with traditional herbalists.');
  });

  it('finds the files from the glue_filtered dir or its parents', async () => {
    expect(await resolveTaskDir(GLUE_DIR, 'rte')).toBe(GLUE_DIR);
    expect(await resolveTaskDir(path.dirname(GLUE_DIR), 'rte')).toBe(GLUE_DIR);
    expect(await resolveTaskDir(path.dirname(path.dirname(GLUE_DIR)), 'rte')).toBe(GLUE_DIR);
  });
});

describe('malformed rows fail clearly', () => {
  async function fileWith(lines: string[]): Promise<string> {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'rte.train.jsonl'), lines.join('\n') + '\n');
    return dir;
  }
  const good = JSON.stringify({ sentence1: 'a', sentence2: 'b', label: 0, idx: 0 });

  it.each([
    ['a missing field', JSON.stringify({ sentence1: 'a', label: 0 }), /rte\.train\.jsonl:2, field 'sentence2': missing field/],
    ['a number where text belongs', JSON.stringify({ sentence1: 'a', sentence2: 7, label: 0 }), /rte\.train\.jsonl:2, field 'sentence2': expected a string, got number/],
    ['a label out of range', JSON.stringify({ sentence1: 'a', sentence2: 'b', label: 2 }), /rte\.train\.jsonl:2, field 'label': expected an integer label in \[0, 1\], got 2/],
    ['a string label', JSON.stringify({ sentence1: 'a', sentence2: 'b', label: 'entailment' }), /field 'label': expected an integer label/],
    ['a missing label', JSON.stringify({ sentence1: 'a', sentence2: 'b' }), /field 'label': missing field/],
    ['broken JSON', '{"sentence1": "a", ', /rte\.train\.jsonl:2: invalid JSON/],
  ])('%s', async (_name, bad, message) => {
    const dir = await fileWith([good, bad]);
    const err = await readTaskSplit(dir, TASKS.rte, 'train').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(message);
  });

  it('a missing file names the path', async () => {
    const dir = await tempDir();
    await expect(readTaskSplit(dir, TASKS.boolq, 'train')).rejects.toThrow(/missing train file for task 'boolq': .*boolq\.train\.jsonl/);
    await expect(resolveTaskDir(dir, 'boolq')).rejects.toBeInstanceOf(ConfigError);
  });

  it('small BoolQ / MultiRC train files in the same format read fine', async () => {
    const dir = await tempDir();
    await writeJsonl(path.join(dir, 'multirc.train.jsonl'), [
      { paragraph: 'Tom has a cat.', question: 'What does Tom have?', answer: 'A cat', idx: { paragraph: 0, question: 0, answer: 0 }, label: 1 },
    ]);
    await writeJsonl(path.join(dir, 'boolq.train.jsonl'), [{ question: 'is the sky blue', passage: 'The sky is blue.', idx: 0, label: 1 }]);
    expect((await readTaskSplit(dir, TASKS.multirc, 'train')).examples).toEqual([{ textA: 'Question: What does Tom have? Answer: A cat', textB: 'Tom has a cat.', label: 1 }]);
    expect((await readTaskSplit(dir, TASKS.boolq, 'train')).examples).toEqual([{ textA: 'is the sky blue', textB: 'The sky is blue.', label: 1 }]);
  });
});

describe('settings', () => {
  it('per-task reference defaults', () => {
    const s = parseSettings({});
    expect(s.forTask('boolq')).toMatchObject({ batchSize: 16, epochs: 10, metricForValid: 'accuracy', learningRate: 3e-5 });
    expect(s.forTask('multirc').batchSize).toBe(16);
    expect(s.forTask('wsc')).toMatchObject({ batchSize: 32, epochs: 30 });
    expect(s.forTask('mrpc').metricForValid).toBe('f1');
    expect(s.forTask('qqp').metricForValid).toBe('f1');
    expect(s.forTask('rte')).toMatchObject({
      beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, warmupFraction: 0.06, minFactor: 0.1, maxLength: 512,
      seed: 42, dropout: 0.1, pooling: 'first', paddingSide: 'right', evalBatchSize: 64, saveModel: false,
    });
    expect(TASKS.mnli.numLabels).toBe(3);
    expect(tasksFor('glue')).toEqual(TASK_NAMES);
  });

  it('global, per-task and profile overrides', () => {
    const s = parseSettings({ profile: 'fast', lr: 1e-4, epochs: 2, pooling: 'last', paddingSide: 'left', perTask: { wsc: { epochs: 5 } } });
    expect(s.forTask('rte')).toMatchObject({ learningRate: 1e-4, epochs: 2, maxTrainExamples: 1000, maxLength: 128, pooling: 'last', paddingSide: 'left' });
    expect(s.forTask('wsc').epochs).toBe(5);
  });

  it('bad settings are ConfigErrors naming the field', () => {
    expect(() => parseSettings({ epochz: 1 })).toThrow(/field 'settings\.epochz': unknown setting/);
    expect(() => parseSettings({ epochs: 0 })).toThrow(/field 'settings\.epochs': expected a positive integer, got 0/);
    expect(() => parseSettings({ pooling: 'mean' })).toThrow(/expected one of first, last/);
    expect(() => parseSettings({ perTask: { cola: {} } })).toThrow(/settings\.perTask\.cola/);
    expect(() => parseSettings({ profile: 'turbo' })).toThrow(ConfigError);
    expect(() => tasksFor('cola')).toThrow(/unknown \(Super\)GLUE task 'cola'/);
  });
});

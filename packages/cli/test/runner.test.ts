/**
 * The runner over the fake stack (no tensors): the instruction data is loaded, split and tokenised once per run and
 * shared by its cells; a curriculum that does not train (baseline) loads nothing and evaluates the base model.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_TEMPLATE_TOKENS } from '@class-it/instruct';
import { experimentSchema, parseConfigText, runExperiment, type ExperimentSteps } from '../src/index.js';
import { defaultSteps } from '../src/run/steps.js';
import type { InstructionData } from '../src/instruct/data.js';
import { baseCheckpoint, demo, setup } from './fake-stack.js';

async function experiment(conditions: string[], datasetPlugin = 'class-it-rows') {
  const base = await baseCheckpoint({ uniqueWords: 100, wordsSeen: 100 });
  const runs = await fs.mkdtemp(path.join(os.tmpdir(), 'runner-'));
  const yaml = [
    'name: shared-data',
    'seeds: [1, 2]',
    `runsDir: ${JSON.stringify(runs)}`,
    `models: [{ name: tiny, checkpoint: ${JSON.stringify(base)} }]`,
    'instruction:',
    '  datasets:',
    `    conversational: { plugin: ${datasetPlugin}, settings: { path: conversational.jsonl, limit: 40 } }`,
    `    qa: { plugin: ${datasetPlugin}, settings: { path: qa.jsonl, limit: 30 } }`,
    '  heldOut: { perDataset: 4 }',
    '  trainer: { sequenceLength: 512 }',
    'conditions:',
    ...conditions.map((c) => `  - ${c}`),
    'evaluation: { dataDir: . }',
  ].join('\n');
  return { exp: parseConfigText(yaml, path.join(demo, 'exp.yaml'), experimentSchema).value, base, runs };
}

describe('runner', () => {
  it('loads, splits and tokenises the instruction data once for all cells; baseline cells train nothing', async () => {
    const { registry, calls, tokenizer, loads } = setup();
    const encode = vi.spyOn(tokenizer, 'encode');
    const { exp, base } = await experiment([
      '{ name: baseline, curriculum: baseline }',
      '{ name: merged, curriculum: merged }',
      '{ name: seq, curriculum: sequential, settings: { order: [qa, conversational] } }',
    ]);
    const seen: InstructionData[] = [];
    const steps: ExperimentSteps = {
      ...defaultSteps,
      instructionTune: (r, args) => {
        seen.push(args.data);
        return defaultSteps.instructionTune(r, args);
      },
    };
    const summary = await runExperiment(exp, registry, { steps, experimentDir: demo });
    expect(summary.failed).toEqual([]);
    expect(summary.computed).toHaveLength(6);
    // Two datasets, loaded once each for the whole run; one data object shared by the four training cells.
    expect(loads['class-it-rows']).toBe(2);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(1);
    const examples = Object.values(seen[0]!.train).flat().length + Object.values(seen[0]!.heldOut).flat().length;
    expect(examples).toBe(70);
    expect(encode.mock.calls.filter(([text]) => !DEFAULT_TEMPLATE_TOKENS.includes(text))).toHaveLength(examples);
    expect(calls).toHaveLength(4);
    // Baseline: the base model is the evaluated model, and nothing was written for training.
    for (const c of summary.cells.filter((c) => c.condition === 'baseline')) {
      expect(c.modelDir).toBe(base);
      expect(existsSync(path.join(summary.runDir, 'cells', `tiny__baseline__seed${c.seed}`, 'train'))).toBe(false);
    }
    const log = await fs.readFile(path.join(summary.runDir, 'run.log'), 'utf8');
    expect(log.match(/dataset conversational/g)).toHaveLength(1);
    expect(log).toMatch(/\[tiny__baseline__seed1\] curriculum baseline: nothing to train, the base model is evaluated as it is/);
  });

  it('a run of baseline conditions only never loads the datasets (the curriculum says it does not train)', async () => {
    const { registry, loads } = setup();
    const { exp } = await experiment(['{ name: baseline, curriculum: baseline }']);
    const summary = await runExperiment(exp, registry, { steps: defaultSteps, experimentDir: demo });
    expect(summary.failed).toEqual([]);
    expect(loads['class-it-rows']).toBeUndefined();
  });

  it('bad curriculum settings fail the cell with the curriculum\'s own message, before any data is loaded', async () => {
    const { registry, loads } = setup();
    const { exp } = await experiment(['{ name: merged, curriculum: merged, settings: { epochz: 2 } }']);
    const summary = await runExperiment(exp, registry, { steps: defaultSteps, experimentDir: demo });
    expect(summary.failed).toHaveLength(2);
    expect(summary.cells[0]!.error).toMatch(/curriculum merged settings: Unrecognized key: "epochz"/);
    expect(loads['class-it-rows']).toBeUndefined();
  });
});

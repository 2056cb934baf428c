/**
 * An evaluate-only row of the grid (`evaluateOnly: <condition>` on a `checkpoint:` model, e.g. a released Hub model):
 * one cell, under a condition that trains nothing, with the first seed; its checkpoint (local or `hf://`) checked
 * before any compute; never instruction-tuned. Over the fake stack (no tensors); the Hub download itself is tested in
 * @class-it/data-sources and end to end in tools/test/hub-model.test.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, definePlugin, type PluginRegistry, type ZeroShotContext } from '@class-it/core';
import { experimentSchema, gridCells, parseConfigText, runExperiment, validateExperiment } from '../src/index.js';
import { defaultSteps } from '../src/run/steps.js';
import { writeReport } from '../src/run/grid-steps.js';
import { RunDir } from '../src/run/run-dir.js';
import { baseCheckpoint, demo, setup } from './fake-stack.js';

function addProbe(registry: PluginRegistry): void {
  const probe = {
    name: 'probe', kind: 'zero-shot' as const, tasks: ['probe'],
    async validate() { return { missing: [] }; },
    async evaluate(context: ZeroShotContext) {
      return { result: { task: context.task, evaluator: 'probe', metric: 'accuracy', score: 50, groups: {}, extra: {}, itemCount: 1, files: [] }, details: {} };
    },
  };
  registry.register(definePlugin({ kind: 'evaluator', name: 'probe', description: '', useFactory: () => probe }), { packageName: 'test', packageVersion: '0' });
}

async function experiment(released: string, evaluateOnly = 'baseline') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'evaluate-only-'));
  await fs.mkdir(path.join(dir, 'eval', 'there'), { recursive: true });
  const base = await baseCheckpoint({ uniqueWords: 100, wordsSeen: 200 });
  const text = [
    'name: anchor',
    'seeds: [1, 2, 3]',
    `runsDir: ${JSON.stringify(path.join(dir, 'runs'))}`,
    'models:',
    `  - { name: ours, checkpoint: ${JSON.stringify(base)} }`,
    '  - name: released',
    `    checkpoint: ${JSON.stringify(released)}`,
    `    evaluateOnly: ${evaluateOnly}`,
    'instruction:',
    '  datasets:',
    `    conversational: { plugin: class-it-rows, settings: { path: ${JSON.stringify(path.join(demo, 'conversational.jsonl'))}, limit: 20 } }`,
    '  heldOut: { perDataset: 2 }',
    '  trainer: { batchSize: 10 }',
    'conditions:',
    '  - { name: baseline, curriculum: baseline }',
    '  - { name: merged, curriculum: merged, settings: { epochs: 2 } }',
    'evaluation:',
    '  dataDir: eval',
    '  zeroShot:',
    '    - { task: probe, data: there }',
  ].join('\n') + '\n';
  const file = path.join(dir, 'exp.yaml');
  await fs.writeFile(file, text);
  return { dir, file, base, config: parseConfigText(text, file, experimentSchema) };
}

describe('evaluate-only models', () => {
  it('the schema: evaluateOnly names a condition of the experiment and needs a checkpoint', async () => {
    const { config } = await experiment('/somewhere');
    expect(config.value.models[1]!.evaluateOnly).toBe('baseline');
    const text = await fs.readFile(config.file, 'utf8');
    expect(() => parseConfigText(text.replace('evaluateOnly: baseline', 'evaluateOnly: basline'), config.file, experimentSchema))
      .toThrow(/exp\.yaml:8, field 'models\[1\]\.evaluateOnly': no condition named 'basline' \(conditions: baseline, merged\)/);
    const pretrained = text.replace('    checkpoint: "/somewhere"', '    pretrain: { corpus: [c.txt], preset: tiny }');
    expect(pretrained).not.toBe(text);
    expect(() => parseConfigText(pretrained, config.file, experimentSchema)).toThrow(ConfigError);
    expect(() => parseConfigText(pretrained, config.file, experimentSchema)).toThrow(/field 'models\[1\]\.evaluateOnly': evaluateOnly needs checkpoint/);
  });

  it('one cell (its condition, the first seed) beside the full grid of the other models', async () => {
    const { config } = await experiment('/somewhere');
    expect(gridCells(config.value)).toEqual([
      ...['baseline', 'merged'].flatMap((condition) => [1, 2, 3].map((seed) => ({ model: 'ours', condition, seed }))),
      { model: 'released', condition: 'baseline', seed: 1 },
    ]);
  });

  it('validation: a Hub checkpoint not downloaded is planned (not fetched); a malformed id, a missing folder and a training condition are refused, located', async () => {
    const { registry } = setup();
    addProbe(registry);
    const lines: string[] = [];
    const remote = await experiment('hf://colinglab/CLASS_IT-140M');
    const previous = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const { plan, problems } = await validateExperiment(remote.config, registry, (l) => lines.push(l));
      expect(problems).toEqual([]);
      expect(plan.cells).toHaveLength(7);
      // Not trained here: nothing of the grid's word budget is spent on it.
      expect(plan.cells.at(-1)).toMatchObject({ model: 'released', condition: 'baseline', seed: 1, steps: 0, words: { unique: 0, seen: 0 } });
      expect(lines).toContain('model released: hf://colinglab/CLASS_IT-140M is not in the download cache: planned, downloaded when its cell starts');
    } finally {
      if (previous === undefined) delete process.env.HF_HUB_OFFLINE; else process.env.HF_HUB_OFFLINE = previous;
    }
    const malformed = await experiment('hf://colinglab/CLASS_IT-140M/extra');
    await expect(validateExperiment(malformed.config, registry)).rejects.toThrow(/exp\.yaml:7, field 'models\[1\]\.checkpoint': 'hf:\/\/colinglab\/CLASS_IT-140M\/extra' is not a Hub model address/);
    const missing = await experiment('./not-here');
    await expect(validateExperiment(missing.config, registry)).rejects.toThrow(/exp\.yaml:7, field 'models\[1\]\.checkpoint': no such checkpoint directory: .*not-here/);
    const trains = await experiment('/somewhere', 'merged');
    await expect(validateExperiment(trains.config, registry)).rejects.toThrow(/exp\.yaml:8, field 'models\[1\]\.evaluateOnly': condition 'merged' trains/);
  });

  it('the run evaluates it as it is, once, and instruction-tunes only the other model', async () => {
    const { registry, calls } = setup();
    addProbe(registry);
    const released = await baseCheckpoint();
    const { config } = await experiment(released);
    const validated = await validateExperiment(config, registry);
    expect(validated.problems).toEqual([]);
    const summary = await runExperiment(config.value, registry, { steps: defaultSteps, experimentDir: config.baseDir, validated });
    expect(summary.failed).toEqual([]);
    const cell = summary.cells.find((c) => c.model === 'released')!;
    expect(summary.cells.filter((c) => c.model === 'released')).toHaveLength(1);
    expect(cell).toMatchObject({ condition: 'baseline', seed: 1, status: 'done', modelDir: released, tasks: { probe: { status: 'done' } } });
    expect(calls).toHaveLength(3); // ours × merged × 3 seeds; never the released model
    // The report keeps the row: one cell of the released model beside the grid.
    const written = await writeReport(new RunDir(summary.runDir), registry);
    const md = await fs.readFile(written.find((f) => f.endsWith('report.md'))!, 'utf8');
    const section = md.slice(md.indexOf('## Model `released`'));
    expect(section).toMatch(/^## Model `released`\n\nSeeds: 1\.\n/);
    expect(section).toMatch(/\| task \| metric \| baseline \|\n\| --- \| ---: \| ---: \|\n\| probe \| accuracy \| 50\.00 \(n=1\) \|/);
  });
});

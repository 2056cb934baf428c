/**
 * Validation before any compute (`class-it run`, `--dry-run`, `--json`) and missing / failing evaluations, over the
 * fake stack (no tensors) with two test evaluators: `probe` checks its settings and needs `<data>/items.jsonl`;
 * `crash` validates but throws when it runs.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { ConfigError, definePlugin, type EvaluationCheckRequest, type PluginRegistry, type ZeroShotContext } from '@class-it/core';
import { registerRun } from '../src/commands/run.js';
import { experimentSchema, parseConfigText, runExperiment, validateExperiment, type ExperimentPlan } from '../src/index.js';
import { defaultSteps } from '../src/run/steps.js';
import { DEFAULT_WORD_BUDGET, writeLedger } from '@class-it/instruct';
import { demo, setup } from './fake-stack.js';

function addEvaluators(registry: PluginRegistry): void {
  const probe = {
    name: 'probe', kind: 'zero-shot' as const, tasks: ['probe', 'probe2'],
    async validate(request: EvaluationCheckRequest) {
      const unknown = Object.keys(request.settings).find((k) => k !== 'batchSize');
      if (unknown) throw new ConfigError('unknown setting (known: batchSize)', { field: unknown });
      const file = path.join(request.dataDir, 'items.jsonl');
      return { missing: existsSync(file) ? [] : [`${file}: no such file`] };
    },
    async evaluate(context: ZeroShotContext) {
      return { result: { task: context.task, evaluator: 'probe', metric: 'accuracy', score: 50, groups: {}, extra: {}, itemCount: 1, files: [] }, details: {} };
    },
  };
  const crash = {
    name: 'crash', kind: 'zero-shot' as const, tasks: ['crash'],
    async validate() { return { missing: [] }; },
    async evaluate(): Promise<never> { throw new Error('the evaluator fell over'); },
  };
  for (const e of [probe, crash]) registry.register(definePlugin({ kind: 'evaluator', name: e.name, description: '', useFactory: () => e }), { packageName: 'test', packageVersion: '0' });
}

/** An experiment file in a fresh folder, with eval data for `probe` (`eval/there/items.jsonl`) and a corpus. */
async function experimentFile(edit: (yaml: string) => string = (y) => y) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'validate-'));
  await fs.mkdir(path.join(dir, 'eval', 'there'), { recursive: true });
  await fs.writeFile(path.join(dir, 'eval', 'there', 'items.jsonl'), '{}\n');
  await fs.writeFile(path.join(dir, 'corpus.txt'), 'the cat sat\nthe dog ran far\nthe cat sat\n');
  await fs.copyFile(path.join(demo, 'conversational.jsonl'), path.join(dir, 'conversational.jsonl'));
  await fs.copyFile(path.join(demo, 'qa.jsonl'), path.join(dir, 'qa.jsonl'));
  const yaml = [
    'name: checked',
    'seeds: [1]',
    `runsDir: ${JSON.stringify(path.join(dir, 'runs'))}`,
    'models:',
    '  - name: tiny',
    '    pretrain: { corpus: [corpus.txt], preset: tiny, epochs: 2 }',
    'instruction:',
    '  datasets:',
    '    conversational: { plugin: class-it-rows, settings: { path: conversational.jsonl, limit: 50 } }',
    '    qa: { plugin: class-it-rows, settings: { path: qa.jsonl, limit: 30 } }',
    '  heldOut: { perDataset: 5 }',
    '  trainer: { batchSize: 10 }',
    'conditions:',
    '  - { name: baseline, curriculum: baseline }',
    '  - { name: merged, curriculum: merged, settings: { epochs: 2 } }',
    '  - { name: seq, curriculum: sequential, settings: { order: [qa, conversational], epochs: 2 } }',
    'evaluation:',
    '  dataDir: eval',
    '  zeroShot:',
    '    - { task: probe, data: there, settings: { batchSize: 4 } }',
  ].join('\n') + '\n';
  const file = path.join(dir, 'exp.yaml');
  await fs.writeFile(file, edit(yaml));
  return { dir, file };
}

async function load(file: string) {
  return parseConfigText(await fs.readFile(file, 'utf8'), file, experimentSchema);
}

/** `class-it run <file> ...args` with the fake registry; returns stdout. */
async function cli(registry: PluginRegistry, args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerRun(program, { pluginPaths: [], getRegistry: async () => registry, getManifests: async () => [] });
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => { out.push(line); });
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await program.parseAsync(['node', 'class-it', 'run', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out.join('\n');
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('validation before any compute', () => {
  it('plans every cell: steps, passes per dataset, words; the budget; each task\'s data', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const { file } = await experimentFile();
    const { plan, problems, instructionData } = await validateExperiment(await load(file), registry);
    expect(problems).toEqual([]);
    expect(instructionData).toBeDefined();
    const [baseline, merged, seq] = plan.cells;
    expect(baseline).toMatchObject({ condition: 'baseline', steps: 0, datasets: { conversational: { examples: 45, passes: 0 }, qa: { examples: 25, passes: 0 } } });
    // Corpus: 10 words (the repeated line counts again: the BabyLM rule); two epochs seen.
    expect(baseline!.words).toEqual({ unique: 10, seen: 20 });
    // Merged and sequential see every example equally often (2 epochs each); 70 examples / batch 10 = 7 steps per epoch.
    for (const cell of [merged!, seq!]) {
      expect(cell.datasets).toEqual({ conversational: { examples: 45, passes: 2 }, qa: { examples: 25, passes: 2 } });
      expect(cell.words.unique).toBeGreaterThan(10);
    }
    expect(merged!.steps).toBe(14);
    expect(seq!.steps).toBe(2 * 5 + 2 * 3); // per stage: ceil(25/10) and ceil(45/10) steps per epoch
    expect(seq!.words).toEqual(merged!.words);
    expect(plan.budget).toMatchObject({ uniqueWords: merged!.words.unique, maxUniqueWords: 100_000_000, ok: true });
    expect(plan.tasks).toEqual([{ task: 'probe', kind: 'zero-shot', data: 'there', status: 'ready' }]);
  });

  it('a misspelled dataset path fails in seconds with file, line and field, before any pretraining', async () => {
    const { registry, calls } = setup();
    addEvaluators(registry);
    const pretrain = vi.spyOn(defaultSteps, 'pretrain');
    const { file } = await experimentFile((y) => y.replace('path: qa.jsonl', 'path: qa.jsonnl'));
    const text = await fs.readFile(file, 'utf8');
    const started = Date.now();
    await expect(cli(registry, [file, '--no-report'])).rejects.toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${lineOf(text, 'qa.jsonnl')}, field 'instruction\\.datasets\\.qa\\.settings': dataset 'qa' \\(class-it-rows\\): .*qa\\.jsonnl.*file not found`));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pretrain).not.toHaveBeenCalled();
    expect(calls).toHaveLength(0);
    pretrain.mockRestore();
  });

  it('bad curriculum, dataset and evaluator settings, unknown plugins, presets and corpus paths are all reported, located', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const bad = await experimentFile((y) => y
      .replace('settings: { epochs: 2 } }', 'settings: { epochz: 2 } }')
      .replace('preset: tiny', 'preset: huge')
      .replace('corpus: [corpus.txt]', 'corpus: [corpus.txt, nope.txt]')
      .replace('{ task: probe, data: there, settings: { batchSize: 4 } }', '{ task: probe, data: there, settings: { batchsize: 4 } }')
      .replace('curriculum: sequential', 'curriculum: sequentiel'));
    const text = await fs.readFile(bad.file, 'utf8');
    let message = '';
    try {
      await validateExperiment(await load(bad.file), registry);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${bad.file}:${lineOf(text, 'epochz')}, field 'conditions[1].settings.epochz': curriculum 'merged': curriculum merged settings: Unrecognized key: "epochz"`);
    expect(message).toContain(`:${lineOf(text, 'sequentiel')}, field 'conditions[2].curriculum': unknown curriculum 'sequentiel'`);
    expect(message).toContain(`:${lineOf(text, 'preset: huge')}, field 'models[0].pretrain.preset': architecture 'gpt' has no preset 'huge'`);
    expect(message).toContain(`field 'models[0].pretrain.corpus[1]': corpus file or directory 'nope.txt' does not exist`);
    expect(message).toContain(`:${lineOf(text, 'batchsize')}, field 'evaluation.zeroShot[0].settings.batchsize': task 'probe' (evaluator 'probe'): unknown setting`);

    const badDataset = await experimentFile((y) => y.replace('limit: 30 }', 'limit: 30, colour: red }'));
    await expect(validateExperiment(await load(badDataset.file), registry)).rejects.toThrow(/field 'instruction\.datasets\.qa\.settings\.colour': dataset 'qa' \(class-it-rows\): .*Unrecognized key/);
    const badOrder = await experimentFile((y) => y.replace('order: [qa, conversational]', 'order: [qa, wiki]'));
    await expect(validateExperiment(await load(badOrder.file), registry)).rejects.toThrow(/field 'conditions\[2\]\.settings\.order': curriculum 'sequential': .*'wiki', which is not configured/);
  });

  it('--dry-run --json prints the plan and computes nothing; a required task without data forbids the run', async () => {
    const { registry, calls } = setup();
    addEvaluators(registry);
    const { file, dir } = await experimentFile((y) => y + '    - { task: probe2, data: gone, optional: true }\n    - { task: probe, data: absent }\n');
    await expect(cli(registry, [file, '--dry-run', '--json'])).rejects.toThrow(/field 'evaluation\.zeroShot\[2\]\.data': task 'probe': its data is missing .*mark it 'optional: true'/);
    const { file: okFile } = await experimentFile((y) => y + '    - { task: probe2, data: gone, optional: true }\n');
    const plan = JSON.parse(await cli(registry, [okFile, '--dry-run', '--json'])) as ExperimentPlan;
    expect(Object.keys(plan)).toEqual(['cells', 'budget', 'tasks']);
    expect(Object.keys(plan.cells[0]!)).toEqual(['model', 'condition', 'seed', 'steps', 'datasets', 'words']);
    expect(Object.keys(plan.budget).sort()).toEqual(['maxUniqueWords', 'maxWordsSeen', 'ok', 'uniqueWords', 'wordsSeen']);
    expect(plan.tasks.map((t) => [t.task, t.data, t.status])).toEqual([['probe', 'there', 'ready'], ['probe2', 'gone', 'optional-missing']]);
    expect(calls).toHaveLength(0);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);
    expect(await cli(registry, [okFile, '--dry-run'])).toMatch(/tiny\/merged\/seed 1: 14 steps \(conversational 45×2, qa 25×2\)/);
  });

  it('a cell over the word budget is refused before training, naming the budget field', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const { file } = await experimentFile((y) => y.replace('  heldOut: { perDataset: 5 }', '  heldOut: { perDataset: 5 }\n  budget: { maxUniqueWords: 100 }'));
    const { plan, problems } = await validateExperiment(await load(file), registry);
    expect(plan.budget.ok).toBe(false);
    expect(problems[0]!.message).toMatch(/field 'instruction\.budget\.maxUniqueWords': word budget exceeded in cell tiny\/merged\/seed 1/);
  });
});

describe('BabyLM word rules and remote sources, at validation', () => {
  it('maxWords caps the corpus at its first lines, deterministically, and the plan counts the capped corpus', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    // 'the cat sat' (3) + 'the dog ran far' (4) = 7 words; the third line would take it to 10.
    const { file } = await experimentFile((y) => y.replace('preset: tiny, epochs: 2', 'preset: tiny, epochs: 2, maxWords: 8'));
    const { plan } = await validateExperiment(await load(file), registry);
    expect(plan.cells[0]!.words).toEqual({ unique: 7, seen: 14 });
  });

  it('pretrainPerSeed: each seed\'s base model counts its own pretraining (a finished one from its ledger), once per cell', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const perSeed = (y: string) => y.replace('seeds: [1]', 'seeds: [1, 2]').replace('  - name: tiny\n', '  - name: tiny\n    pretrainPerSeed: true\n');
    const { dir, file } = await experimentFile(perSeed);
    // Seed 2's pretraining is done (its ledger says 10 unique, 50 seen); seed 1's is planned from the corpus (10, 2 epochs).
    await writeLedger(path.join(dir, 'runs', 'checked', 'models', 'tiny', 'pretrain-seed2', 'final'), [{ name: 'pretraining', uniqueWords: 10, wordsSeen: 50 }], DEFAULT_WORD_BUDGET);
    const { plan } = await validateExperiment(await load(file), registry);
    const baseline = (seed: number) => plan.cells.find((c) => c.condition === 'baseline' && c.seed === seed)!;
    expect(baseline(1).words).toEqual({ unique: 10, seen: 20 });
    expect(baseline(2).words).toEqual({ unique: 10, seen: 50 });
    // Without pretrainPerSeed the seeds share models/tiny/pretrain/: the per-seed ledger is not theirs.
    const { dir: sharedDir, file: shared } = await experimentFile((y) => y.replace('seeds: [1]', 'seeds: [1, 2]'));
    await writeLedger(path.join(sharedDir, 'runs', 'checked', 'models', 'tiny', 'pretrain-seed2', 'final'), [{ name: 'pretraining', uniqueWords: 10, wordsSeen: 50 }], DEFAULT_WORD_BUDGET);
    const sharedPlan = (await validateExperiment(await load(shared), registry)).plan;
    expect(sharedPlan.cells.filter((c) => c.condition === 'baseline').map((c) => c.words)).toEqual([{ unique: 10, seen: 20 }, { unique: 10, seen: 20 }]);
  });

  it('a remote corpus is checked for form offline and planned at its cap; without a cap, or malformed, it is refused', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const remote = await experimentFile((y) => y.replace('corpus: [corpus.txt], preset: tiny, epochs: 2', "corpus: ['hf://datasets/babylm/strict/train_100M'], maxWords: 1000, preset: tiny, epochs: 2"));
    const { plan, problems } = await validateExperiment(await load(remote.file), registry);
    expect(problems).toEqual([]);
    expect(plan.cells[0]!.words).toEqual({ unique: 1000, seen: 2000 });
    const uncapped = await experimentFile((y) => y.replace('corpus: [corpus.txt]', "corpus: ['hf://datasets/babylm/strict/train_100M']"));
    await expect(validateExperiment(await load(uncapped.file), registry)).rejects.toThrow(/field 'models\[0\]\.pretrain\.corpus': a remote corpus \(hf:\/\/\) needs pretrain\.maxWords/);
    const malformed = await experimentFile((y) => y.replace('corpus: [corpus.txt], preset: tiny', "corpus: ['hf://datasets/babylm'], maxWords: 1000, preset: tiny"));
    await expect(validateExperiment(await load(malformed.file), registry)).rejects.toThrow(/field 'models\[0\]\.pretrain\.corpus\[0\]': 'hf:\/\/datasets\/babylm' is not a Hub dataset address/);
  });

  it('a remote dataset not downloaded is planned from its declared size: a dry run may print it, a run may not start', async () => {
    const { registry, calls } = setup();
    addEvaluators(registry);
    const edit = (expected: string) => (y: string) => y
      .replace("qa: { plugin: class-it-rows, settings: { path: qa.jsonl, limit: 30 } }", `qa: { plugin: class-it-rows, settings: { hub: 'hf://datasets/someone/qa-set/qa' }${expected} }`)
      .replace('  heldOut: { perDataset: 5 }', '  heldOut: { perDataset: 5 }\n  offline: true');
    const { file } = await experimentFile(edit(', expected: { examples: 40, words: 400 }'));
    const validated = await validateExperiment(await load(file), registry);
    expect(validated.problems).toEqual([]);
    expect(validated.notDownloaded.map((e) => e.message)).toEqual([expect.stringMatching(/field 'instruction\.datasets\.qa\.expected': dataset 'qa' is not downloaded/)]);
    const merged = validated.plan.cells[1]!;
    // 40 declared examples, 5 held out; each stand-in has 400 / 40 words.
    expect(merged.datasets.qa).toEqual({ examples: 35, passes: 2, declared: true });
    const conversational = merged.words.unique - 10 - 35 * 10;
    expect(merged.words.seen).toBe(20 + 2 * (35 * 10 + conversational));
    const plan = JSON.parse(await cli(registry, [file, '--dry-run', '--json'])) as ExperimentPlan;
    expect(plan.cells[1]!.datasets.qa).toEqual({ examples: 35, passes: 2, declared: true });
    await expect(cli(registry, [file, '--no-report'])).rejects.toThrow(/dataset 'qa' is not downloaded/);
    expect(calls).toHaveLength(0);
    // Without a declared size the dataset cannot be planned: the Hub error, located.
    const { file: undeclared } = await experimentFile(edit(''));
    await expect(validateExperiment(await load(undeclared), registry)).rejects.toThrow(/field 'instruction\.datasets\.qa\.settings': dataset 'qa' \(class-it-rows\): .*offline mode/);
  });

  it('a downloaded dataset must match the size it declares', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const { file } = await experimentFile((y) => y.replace('settings: { path: qa.jsonl, limit: 30 } }', 'settings: { path: qa.jsonl, limit: 30 }, expected: { examples: 31, words: 5 } }'));
    const { problems, notDownloaded } = await validateExperiment(await load(file), registry);
    expect(notDownloaded).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/field 'instruction\.datasets\.qa\.expected\.examples': dataset 'qa' has 30 examples, not the 31 it declares/),
      expect.stringMatching(/field 'instruction\.datasets\.qa\.expected\.words': dataset 'qa' has \d+ words, more than the 5 it declares/),
    ]);
  });
});

describe('missing and failing evaluations', () => {
  it('an optional task without data is skipped with its reason; a task that throws is recorded and the others still run', async () => {
    const { registry } = setup();
    addEvaluators(registry);
    const { file } = await experimentFile((y) => y
      .replace('  - { name: merged', '  #') // baseline only: no training needed for this test
      .replace('  - { name: seq', '  #')
      + '    - { task: probe2, data: gone, optional: true }\n    - { task: crash, data: there }\n');
    const config = await load(file);
    const validated = await validateExperiment(config, registry);
    expect(validated.problems).toEqual([]);
    const summary = await runExperiment(config.value, registry, { steps: defaultSteps, experimentDir: config.baseDir, validated });
    const [cell] = summary.cells;
    expect(cell!.status).toBe('failed');
    expect(cell!.error).toMatch(/1 evaluation\(s\) failed: crash: the evaluator fell over/);
    expect(cell!.tasks).toEqual({
      probe: { status: 'done' },
      probe2: { status: 'skipped', reason: expect.stringMatching(/^optional, data missing: .*gone.*items\.jsonl: no such file/) },
      crash: { status: 'failed', error: 'the evaluator fell over' },
    });
    const cellDir = path.join(summary.runDir, 'cells', 'tiny__baseline__seed1');
    expect(existsSync(path.join(cellDir, 'eval', 'probe', 'results.json'))).toBe(true);
    expect(JSON.parse(await fs.readFile(path.join(cellDir, 'cell.json'), 'utf8')).tasks.crash.status).toBe('failed');
  });
});

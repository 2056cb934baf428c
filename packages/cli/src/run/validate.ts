/**
 * Validation of a whole experiment before any compute, and the plan it would run (`class-it run --dry-run`).
 *
 * 1. Static checks, all reported together (file, line and field of each): plugin names (curricula, architectures,
 *    dataset plugins, evaluators and their kind); every condition's curriculum settings (`Curriculum.trains`,
 *    the plugin's own schema); presets, checkpoints (a `config.json` whose `model_type` a plugin loads; an `hf://` one
 *    must be well formed, and is checked in the download cache, or planned and downloaded when its cell starts), corpus
 *    paths and tokenizer folders; every task's settings (`Evaluator.validate`, the plugin's own rules).
 * 2. The plan: the instruction datasets are loaded and split (once: the run reuses them), each cell's curriculum
 *    plans its stages (which validates the settings against the configured datasets), and the plan counts per
 *    cell its optimizer steps, each dataset's passes and its words; every task's data is looked up.
 * 3. Problems the plan shows: a required task whose data is missing (an `optional: true` one is recorded as
 *    skipped instead) and a cell over the word budget. `run` refuses to start on any; `--dry-run` prints the plan
 *    first.
 *
 * Words here are the BabyLM count of the data itself (every word of an example, before truncation); the job counts
 * its formatted sequences again before training, which can only be fewer.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClassItError, formatLocation, type InstructionExample, type PluginRegistry, type TrainingStage } from '@class-it/core';
import { DEFAULT_WORD_BUDGET, exampleWords, readLedger, totals, type LedgerPhase } from '@class-it/instruct';
import { fieldError, type LoadedConfig } from '../config/load.js';
import type { Experiment, ModelSpec } from '../config/experiment.js';
import { readModelType, resolveModelDir } from './load-model.js';
import { RunDir } from './run-dir.js';
import { experimentModelSource, gridCells, gridPretrainings, pretrainingDir, pretrainingOf } from './grid-steps.js';
import { SourceUnavailableError, isHubModelUri, parseHubModelUri } from '@class-it/data-sources';
import { capCorpusWords, checkRemoteCorpus, isRemoteCorpus, readCorpusLines, resolveCorpusFiles } from '../pretrain/corpus.js';
import { corpusWordCounts, plannedPretrainingWords } from '../pretrain/pretrain.js';
import { DatasetLoadError, InstructionData } from '../instruct/data.js';
import { countInstructionWords, planStages, pretrainingWords } from '../instruct/job.js';
import type { InstructionTuningConfig } from '../instruct/schema.js';

export type TaskStatus = 'ready' | 'missing' | 'optional-missing';

export interface PlannedTask {
  task: string;
  kind: 'zero-shot' | 'fine-tuning';
  /** The task's data folder as the experiment gives it (relative to `evaluation.dataDir`). */
  data: string;
  status: TaskStatus;
  /** What is missing, when it is. */
  missing?: string[];
}

export interface PlannedCell {
  model: string;
  condition: string;
  seed: number;
  /** Instruction-tuning optimizer steps (one example per row, before formatting drops any; 0: no training). */
  steps: number;
  /** Per configured dataset: its training examples (held-out ones excluded) and how many times each is seen;
   *  `declared`: not downloaded, planned with the size the experiment declares (`expected`). */
  datasets: Record<string, { examples: number; passes: number; declared?: true }>;
  /** Words of the model this cell trains: pretraining + instruction data (unique), and all presentations (seen). */
  words: { unique: number; seen: number };
}

export interface BudgetSummary {
  /** The largest totals of any cell (each cell's model is trained on its own data). */
  uniqueWords: number;
  maxUniqueWords: number;
  wordsSeen: number;
  maxWordsSeen: number;
  ok: boolean;
}

export interface ExperimentPlan {
  cells: PlannedCell[];
  budget: BudgetSummary;
  tasks: PlannedTask[];
}

export interface ValidatedExperiment {
  plan: ExperimentPlan;
  /** Why the run may not start (required tasks without data, cells over the budget); empty when it may. */
  problems: ClassItError[];
  /** Remote instruction datasets neither cached nor reachable, planned from their declared size: a dry run may print
   *  such a plan, a run may not start without the data. */
  notDownloaded: ClassItError[];
  /** The loaded and split instruction data, for the run to reuse (absent when no condition trains). */
  instructionData?: InstructionData;
}

type FieldPath = ReadonlyArray<PropertyKey>;

/** Collects located problems so that one validation reports all of them. */
class Problems {
  readonly list: ClassItError[] = [];

  constructor(private readonly config: LoadedConfig<Experiment>) {}

  add(fieldPath: FieldPath, message: string): void {
    this.list.push(fieldError(this.config, fieldPath, message));
  }

  /** A plugin's error, located at `prefix` plus the plugin's own relative field (`a.b.0`) when it names one. */
  addPluginError(prefix: FieldPath, err: unknown, what: string): void {
    this.list.push(locatePluginError(this.config, prefix, err, what));
  }

  /** Throw them as one ConfigError: the first's message and location, then one line per other problem. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    throw combined(this.list);
  }
}

/** Several located problems as one error (the first one's location, the others listed below it). */
export function combined(problems: ClassItError[]): ClassItError {
  const [first, ...rest] = problems;
  if (rest.length === 0) return first!;
  return new ClassItError(`${first!.message}${rest.map((p) => `\n  ${p.message}`).join('')}`);
}

/** The message of an error without the location prefix ClassItError puts in front of it. */
function bareMessage(err: unknown): string {
  if (err instanceof ClassItError) {
    const prefix = formatLocation(err.location);
    return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Place a plugin's error in the experiment file. A plugin names fields relative to its settings (`stages.0.weights`);
 * an error about another file (a data file that does not exist) keeps that file in its message.
 */
export function locatePluginError(config: LoadedConfig<Experiment>, prefix: FieldPath, err: unknown, what: string): ClassItError {
  if (err instanceof ClassItError && !err.location.file && err.location.field) {
    const relative = err.location.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    // Some plugins name their fields from the section (`settings.epochs`) rather than from inside it.
    if (prefix.at(-1) === 'settings' && relative[0] === 'settings') relative.shift();
    return fieldError(config, [...prefix, ...relative], `${what}: ${bareMessage(err)}`);
  }
  const message = err instanceof ClassItError && err.location.file ? err.message : bareMessage(err);
  return fieldError(config, prefix, `${what}: ${message}`);
}

/** An error whose field is a path from the experiment's root (`instruction.datasets.qa`), placed in the file. */
function locateExperimentError(config: LoadedConfig<Experiment>, err: unknown): ClassItError {
  if (err instanceof ClassItError && !err.location.file && err.location.field) {
    const fieldPath = err.location.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    return fieldError(config, fieldPath, bareMessage(err));
  }
  return err instanceof ClassItError ? err : new ClassItError(bareMessage(err), { file: config.file });
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

function installed(registry: PluginRegistry, kind: 'curriculum' | 'architecture' | 'dataset'): string {
  return registry.list(kind).map((p) => p.name).join(', ') || 'none';
}

/** Step 1: plugin names, curriculum settings, models. Returns whether each condition trains. */
async function checkStatic(config: LoadedConfig<Experiment>, registry: PluginRegistry, problems: Problems, log: (line: string) => void = () => {}): Promise<Map<string, boolean>> {
  const exp = config.value;
  const trains = new Map<string, boolean>();
  exp.conditions.forEach((c, i) => {
    if (!registry.has('curriculum', c.curriculum)) {
      problems.add(['conditions', i, 'curriculum'], `unknown curriculum '${c.curriculum}' (installed: ${installed(registry, 'curriculum')})`);
      return;
    }
    try {
      trains.set(c.name, registry.get('curriculum', c.curriculum).trains(c.settings));
    } catch (err) {
      problems.addPluginError(['conditions', i, 'settings'], err, `curriculum '${c.curriculum}'`);
      return;
    }
    if (trains.get(c.name) && !exp.instruction) {
      problems.add(['conditions', i, 'curriculum'], `condition '${c.name}' trains (curriculum ${c.curriculum}) but the experiment has no 'instruction' section with datasets`);
    }
  });
  if (exp.instruction) {
    for (const [name, entry] of Object.entries(exp.instruction.datasets)) {
      if (!registry.has('dataset', entry.plugin)) {
        problems.add(['instruction', 'datasets', name, 'plugin'], `unknown dataset plugin '${entry.plugin}' (installed: ${installed(registry, 'dataset')})`);
      }
    }
  }
  for (const [i, model] of exp.models.entries()) await checkModel(config, registry, problems, model, i, trains, log);
  return trains;
}

/**
 * The local folder of a `checkpoint:` model as validation sees it, without the network: a local path, or a Hub model's
 * folder in the download cache; undefined for a Hub model not downloaded yet (it is fetched when its cell starts, as
 * a remote corpus is when pretraining starts).
 */
async function checkpointFolder(config: LoadedConfig<Experiment>, checkpoint: string): Promise<string | undefined> {
  if (!isHubModelUri(checkpoint)) return path.resolve(config.baseDir, checkpoint);
  try {
    return await resolveModelDir(checkpoint, { ...experimentModelSource(config.value, config.baseDir), offline: true });
  } catch (err) {
    if (err instanceof SourceUnavailableError) return undefined;
    throw err;
  }
}

async function checkModel(config: LoadedConfig<Experiment>, registry: PluginRegistry, problems: Problems, model: ModelSpec, i: number,
  trains: Map<string, boolean>, log: (line: string) => void): Promise<void> {
  const dir = config.baseDir;
  if (model.checkpoint) {
    if (model.evaluateOnly !== undefined && trains.get(model.evaluateOnly)) {
      problems.add(['models', i, 'evaluateOnly'], `condition '${model.evaluateOnly}' trains: an evaluateOnly model is evaluated as it is, under a condition whose curriculum trains nothing (e.g. baseline)`);
    }
    try {
      if (isHubModelUri(model.checkpoint)) parseHubModelUri(model.checkpoint);
      const folder = await checkpointFolder(config, model.checkpoint);
      if (folder === undefined) {
        log(`model ${model.name}: ${model.checkpoint} is not in the download cache: planned, downloaded when its cell starts`);
        return;
      }
      if (!(await exists(folder))) throw new ClassItError(`no such checkpoint directory: ${folder}`);
      registry.architectureFor(await readModelType(folder));
    } catch (err) {
      problems.add(['models', i, 'checkpoint'], bareMessage(err));
    }
    return;
  }
  const spec = model.pretrain!;
  if (!registry.has('architecture', spec.architecture)) {
    problems.add(['models', i, 'pretrain', 'architecture'], `unknown architecture '${spec.architecture}' (installed: ${installed(registry, 'architecture')})`);
  } else {
    const architecture = registry.get('architecture', spec.architecture);
    if (!architecture.presets[spec.preset]) {
      problems.add(['models', i, 'pretrain', 'preset'], `architecture '${architecture.name}' has no preset '${spec.preset}' (presets: ${Object.keys(architecture.presets).join(', ')})`);
    }
  }
  for (const [c, corpus] of spec.corpus.entries()) {
    try {
      if (isRemoteCorpus(corpus)) checkRemoteCorpus(corpus);
      else await resolveCorpusFiles([corpus], dir);
    } catch (err) {
      problems.add(['models', i, 'pretrain', 'corpus', c], bareMessage(err));
    }
  }
  if (spec.corpus.some(isRemoteCorpus) && spec.maxWords === undefined) {
    problems.add(['models', i, 'pretrain', 'corpus'], 'a remote corpus (hf://) needs pretrain.maxWords: the word budget is checked before it is downloaded, with maxWords as its size');
  }
  if (spec.tokenizer && !(await exists(path.join(path.resolve(dir, spec.tokenizer), 'tokenizer.json')))) {
    problems.add(['models', i, 'pretrain', 'tokenizer'], `no tokenizer.json in ${path.resolve(dir, spec.tokenizer)}`);
  }
}

interface TaskEntry {
  where: PropertyKey[];
  task: string;
  kind: 'zero-shot' | 'fine-tuning';
  data: string;
  /** Learning-curve data of a zero-shot task (`checkpoints: <folder>`), checked with the fast layout. */
  curveData?: string;
  fast: boolean;
  settings: Record<string, unknown>;
  optional: boolean;
}

function taskEntries(exp: Experiment): TaskEntry[] {
  return [
    ...exp.evaluation.zeroShot.map((t, i): TaskEntry => ({
      where: ['evaluation', 'zeroShot', i], task: t.task, kind: 'zero-shot', data: t.data, fast: t.fast, settings: t.settings,
      optional: t.optional === true, curveData: typeof t.checkpoints === 'string' ? t.checkpoints : undefined,
    })),
    ...exp.evaluation.finetune.map((t, i): TaskEntry => ({
      where: ['evaluation', 'finetune', i], task: t.task, kind: 'fine-tuning', data: t.data, fast: false, settings: t.settings, optional: t.optional === true,
    })),
  ];
}

/** Every task: its evaluator exists and has the section's kind, its settings are valid, its data is there. */
async function checkTasks(config: LoadedConfig<Experiment>, registry: PluginRegistry, problems: Problems): Promise<Array<{ planned: PlannedTask; where: PropertyKey[] }>> {
  const dataRoot = path.resolve(config.baseDir, config.value.evaluation.dataDir);
  const planned: Array<{ planned: PlannedTask; where: PropertyKey[] }> = [];
  for (const t of taskEntries(config.value)) {
    let evaluator;
    try {
      evaluator = registry.evaluatorFor(t.task);
    } catch (err) {
      problems.add([...t.where, 'task'], bareMessage(err));
      continue;
    }
    if (evaluator.kind !== t.kind) {
      problems.add([...t.where, 'task'], `task '${t.task}' is a ${evaluator.kind} evaluation (evaluator '${evaluator.name}'): list it under evaluation.${evaluator.kind === 'zero-shot' ? 'zeroShot' : 'finetune'}`);
      continue;
    }
    const missing: string[] = [];
    const folders = [{ data: t.data, fast: t.fast }, ...(t.curveData ? [{ data: t.curveData, fast: true }] : [])];
    try {
      for (const { data, fast } of folders) {
        const dataDir = path.resolve(dataRoot, data);
        if (evaluator.validate) missing.push(...(await evaluator.validate({ task: t.task, dataDir, fast, settings: t.settings })).missing);
        else if (!(await exists(dataDir))) missing.push(`${dataDir}: no such folder`);
      }
    } catch (err) {
      problems.addPluginError([...t.where, 'settings'], err, `task '${t.task}' (evaluator '${evaluator.name}')`);
      continue;
    }
    const status: TaskStatus = missing.length === 0 ? 'ready' : t.optional ? 'optional-missing' : 'missing';
    planned.push({ planned: { task: t.task, kind: t.kind, data: t.data, status, ...(missing.length ? { missing } : {}) }, where: t.where });
  }
  return planned;
}

/** Which base model a cell starts from, as a key of `pretrainingPhases` (a model's, or one of its per-seed ones). */
function baseModelKey(exp: Experiment, model: ModelSpec, cellSeed: number): string {
  return `${model.name}\u0000${pretrainingOf(exp, model, cellSeed)?.seed ?? ''}`;
}

/**
 * The words each base model was (or will be) pretrained on, by `baseModelKey`. A model pretrained once per seed
 * (`pretrainPerSeed`) has the same corpus for each: each base model counts its pretraining once, in its own cells.
 */
async function pretrainingPhases(config: LoadedConfig<Experiment>, instruction: InstructionTuningConfig | undefined, log: (line: string) => void): Promise<Map<string, LedgerPhase[]>> {
  const exp = config.value;
  const runDir = new RunDir(path.resolve(exp.runsDir, exp.name));
  const phases = new Map<string, LedgerPhase[]>();
  for (const [i, model] of exp.models.entries()) {
    if (model.checkpoint) {
      // An evaluateOnly model is not trained here: nothing of this grid's word budget is spent on it.
      const folder = model.evaluateOnly === undefined ? await checkpointFolder(config, model.checkpoint) : undefined;
      const words = model.evaluateOnly !== undefined ? []
        : folder !== undefined ? await pretrainingWords(folder, instruction, log)
        : instruction?.budget.pretraining ? [{ name: 'pretraining', ...instruction.budget.pretraining }] : [];
      phases.set(baseModelKey(exp, model, exp.seeds[0]!), words);
      continue;
    }
    const pending: string[] = [];
    for (const pretraining of gridPretrainings(exp).filter((p) => p.model === model.name)) {
      const key = baseModelKey(exp, model, pretraining.seed);
      const done = await readLedger(path.join(pretrainingDir(runDir, pretraining), 'final'));
      if (done) phases.set(key, done.phases);
      else pending.push(key);
    }
    if (pending.length === 0) continue;
    const planned = await plannedPretraining(config, model, i, log);
    for (const key of pending) phases.set(key, planned);
  }
  return phases;
}

/** The words a model's pretraining will use, from its corpus (capped at `maxWords`) and epochs. */
async function plannedPretraining(config: LoadedConfig<Experiment>, model: ModelSpec, i: number, log: (line: string) => void): Promise<LedgerPhase[]> {
  const spec = model.pretrain!;
  if (spec.corpus.some(isRemoteCorpus)) {
    // Downloaded when pretraining starts: planned at its cap, an upper bound of what it will use (checkModel made sure there is one).
    log(`model ${model.name}: remote pretraining corpus, planned at its cap of ${spec.maxWords} words`);
    return [plannedPretrainingWords({ corpusWords: spec.maxWords!, uniqueWords: spec.maxWords! }, spec.epochs)];
  }
  try {
    const lines = capCorpusWords(await readCorpusLines(await resolveCorpusFiles(spec.corpus, config.baseDir)), spec.maxWords);
    return [plannedPretrainingWords(corpusWordCounts(lines), spec.epochs)];
  } catch (err) {
    throw locatePluginError(config, ['models', i, 'pretrain', 'corpus'], err, `model '${model.name}'`);
  }
}

/** Optimizer steps of a plan, by the trainer's rule, one example per row (no packing, nothing dropped). */
function plannedSteps(stages: TrainingStage[], trainer: InstructionTuningConfig['trainer']): number {
  let steps = 0;
  const budget = trainer.maxSteps ?? Number.POSITIVE_INFINITY;
  for (const stage of stages) {
    const perEpoch = Math.ceil(stage.examples.length / (trainer.batchSize * trainer.gradAccumulation));
    steps += Math.min(perEpoch * stage.epochs, Math.max(0, budget - steps));
  }
  return steps;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** How many times each training example of each dataset is seen over a cell's stages. */
function datasetPasses(stages: TrainingStage[], data: InstructionData): Record<string, { examples: number; passes: number }> {
  const datasetOf = new Map<InstructionExample, string>();
  for (const [name, examples] of Object.entries(data.train)) for (const e of examples) datasetOf.set(e, name);
  const presentations = new Map<string, number>();
  for (const stage of stages) {
    for (const e of stage.examples) {
      const name = datasetOf.get(e);
      if (name !== undefined) presentations.set(name, (presentations.get(name) ?? 0) + stage.epochs);
    }
  }
  return Object.fromEntries(Object.entries(data.train).map(([name, examples]) => [
    name, { examples: examples.length, passes: examples.length ? round((presentations.get(name) ?? 0) / examples.length) : 0, ...(data.declared.has(name) ? { declared: true as const } : {}) },
  ]));
}

/** Words of an example by the BabyLM rule; a stand-in of a declared dataset has its share of the declared words. */
function exampleWordsOf(data: InstructionData): (example: InstructionExample) => number {
  const standIn = new Map<InstructionExample, number>();
  for (const name of data.declared) {
    const expected = data.config.datasets[name]!.expected!;
    for (const e of [...data.train[name]!, ...data.heldOut[name]!]) standIn.set(e, expected.words / expected.examples);
  }
  return (example) => standIn.get(example) ?? exampleWords(example);
}

/** A loaded dataset must match the size it declares (the plan made offline used it); a declared one is not there yet. */
function checkDeclaredSizes(instruction: InstructionTuningConfig, data: InstructionData, problems: Problems, notDownloaded: Problems): void {
  for (const [name, entry] of Object.entries(instruction.datasets)) {
    if (!entry.expected) continue;
    const field = ['instruction', 'datasets', name, 'expected'];
    if (data.declared.has(name)) {
      notDownloaded.add(field, `dataset '${name}' is not downloaded (offline, or the Hub cannot be reached): the plan uses its declared size; the run needs the data`);
      continue;
    }
    const examples = [...data.train[name]!, ...data.heldOut[name]!];
    const words = examples.reduce((n, e) => n + exampleWords(e), 0);
    // Examples rendered from their own text whose prompt is not in it were loaded, then left out: they count as loaded.
    const loaded = examples.length + (data.textRendering[name]?.promptNotFound ?? 0);
    if (loaded !== entry.expected.examples) problems.add([...field, 'examples'], `dataset '${name}' has ${loaded} examples, not the ${entry.expected.examples} it declares`);
    if (words > entry.expected.words) problems.add([...field, 'words'], `dataset '${name}' has ${words} words, more than the ${entry.expected.words} it declares (the budget was planned with those)`);
  }
}

/**
 * Check an experiment and plan its run. Throws a ConfigError (all static problems, each with file, line and field)
 * when it cannot even be planned; otherwise returns the plan and the problems that forbid running it.
 */
export async function validateExperiment(config: LoadedConfig<Experiment>, registry: PluginRegistry, log: (line: string) => void = () => {}): Promise<ValidatedExperiment> {
  const exp = config.value;
  const problems = new Problems(config);
  const trains = await checkStatic(config, registry, problems, log);
  const checkedTasks = await checkTasks(config, registry, problems);
  problems.throwIfAny();
  const tasks = checkedTasks.map((t) => t.planned);

  // The data: loaded and split once, for the plan and then for the run.
  let instructionData: InstructionData | undefined;
  if (exp.instruction && [...trains.values()].some(Boolean)) {
    try {
      instructionData = await InstructionData.load(registry, exp.instruction, config.baseDir, log, { declaredWhenUnavailable: true });
    } catch (err) {
      if (err instanceof DatasetLoadError) throw locatePluginError(config, ['instruction', 'datasets', err.dataset, 'settings'], err.cause, `dataset '${err.dataset}' (${err.plugin})`);
      throw locateExperimentError(config, err);
    }
  }
  const pretraining = await pretrainingPhases(config, exp.instruction, log);
  const wordsOf = instructionData ? exampleWordsOf(instructionData) : exampleWords;

  const budget = exp.instruction?.budget ?? DEFAULT_WORD_BUDGET;
  const cells: PlannedCell[] = [];
  for (const { model: modelName, condition: conditionName, seed } of gridCells(exp)) {
    const model = exp.models.find((m) => m.name === modelName)!;
    const ci = exp.conditions.findIndex((c) => c.name === conditionName);
    const condition = exp.conditions[ci]!;
    let stages: TrainingStage[] = [];
    if (trains.get(condition.name) && instructionData) {
      try {
        stages = planStages(registry, instructionData, condition, seed);
      } catch (err) {
        throw locatePluginError(config, ['conditions', ci, 'settings'], err, `curriculum '${condition.curriculum}'`);
      }
    }
    const phases = [...(pretraining.get(baseModelKey(exp, model, seed)) ?? [])];
    if (stages.length > 0) phases.push(countInstructionWords(condition.name, stages, wordsOf));
    const total = totals(phases);
    cells.push({
      model: model.name, condition: condition.name, seed,
      steps: stages.length && exp.instruction ? plannedSteps(stages, exp.instruction.trainer) : 0,
      datasets: instructionData ? datasetPasses(stages, instructionData) : {},
      words: { unique: Math.ceil(total.uniqueWords), seen: Math.ceil(total.wordsSeen) },
    });
  }
  const worst = {
    uniqueWords: Math.max(0, ...cells.map((c) => c.words.unique)),
    wordsSeen: Math.max(0, ...cells.map((c) => c.words.seen)),
  };
  const plan: ExperimentPlan = {
    cells,
    budget: { ...worst, maxUniqueWords: budget.maxUniqueWords, maxWordsSeen: budget.maxWordsSeen, ok: worst.uniqueWords <= budget.maxUniqueWords && worst.wordsSeen <= budget.maxWordsSeen },
    tasks,
  };

  const late = new Problems(config);
  const budgetField = exp.instruction ? ['instruction', 'budget'] : ['models'];
  for (const c of cells) {
    if (c.words.unique > budget.maxUniqueWords) {
      late.add([...budgetField, ...(exp.instruction ? ['maxUniqueWords'] : [])], `word budget exceeded in cell ${c.model}/${c.condition}/seed ${c.seed}: ${c.words.unique} unique words of training data > ${budget.maxUniqueWords}`);
      break;
    }
  }
  for (const c of cells) {
    if (c.words.seen > budget.maxWordsSeen) {
      late.add([...budgetField, ...(exp.instruction ? ['maxWordsSeen'] : [])], `word budget exceeded in cell ${c.model}/${c.condition}/seed ${c.seed}: ${c.words.seen} words seen > ${budget.maxWordsSeen}`);
      break;
    }
  }
  for (const { planned: t, where } of checkedTasks.filter((c) => c.planned.status === 'missing')) {
    late.add([...where, 'data'], `task '${t.task}': its data is missing (${t.missing!.join('; ')}); mark it 'optional: true' to record it as skipped instead`);
  }
  const notDownloaded = new Problems(config);
  if (exp.instruction && instructionData) checkDeclaredSizes(exp.instruction, instructionData, late, notDownloaded);
  return { plan, problems: late.list, notDownloaded: notDownloaded.list, instructionData };
}


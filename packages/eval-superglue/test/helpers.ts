/** Test doubles: a ClassifierTrainer that needs no tensors, and a TrainableModel that is only a name. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic, type ClassifierRun, type ClassifierTrainer, type EpochReport, type TrainableModel } from '@class-it/core';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const GLUE_DIR = path.resolve(REPO_ROOT, '../shared/eval-data/glue/glue_filtered');

export async function tempDir(prefix = 'superglue-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Predicts the gold label on the first `fraction·N` valid examples of each epoch and a wrong one on the rest,
 * with `accuracyByEpoch[e-1]` as the fraction. Keeps `{epoch}` in `stateDir/state.json` and resumes from it,
 * like a real trainer; `crashBeforeEpoch` throws at the start of that epoch (an interruption).
 */
export class FakeClassifierTrainer implements ClassifierTrainer {
  runs: ClassifierRun[] = [];
  epochsRun: number[] = [];
  bestEpochs: number[] = [];
  constructor(private readonly accuracyByEpoch: number[], public crashBeforeEpoch?: number) {}

  async fineTune(_model: TrainableModel, run: ClassifierRun) {
    this.runs.push(run);
    const stateFile = path.join(run.stateDir, 'state.json');
    let done = 0;
    try {
      done = (JSON.parse(await fs.readFile(stateFile, 'utf8')) as { epoch: number }).epoch;
    } catch {
      done = 0;
    }
    const resumedFromEpoch = done;
    const reports: EpochReport[] = [];
    for (let epoch = done + 1; epoch <= run.recipe.epochs; epoch++) {
      if (epoch === this.crashBeforeEpoch) throw new Error(`simulated interruption before epoch ${epoch}`);
      const fraction = this.accuracyByEpoch[(epoch - 1) % this.accuracyByEpoch.length]!;
      const correct = Math.round(fraction * run.valid.length);
      const predictions = run.valid.map((e, i) => (i < correct ? e.label : (e.label + 1) % run.numLabels));
      const report = { epoch, trainLoss: 1 / epoch, predictions };
      reports.push(report);
      this.epochsRun.push(epoch);
      if (await run.onEpoch(report)) this.bestEpochs.push(epoch);
      await writeJsonAtomic(stateFile, { epoch });
    }
    if (run.saveBestTo) await writeJsonAtomic(path.join(run.saveBestTo, 'config.json'), { fake: true });
    return { epochs: reports, resumedFromEpoch, examplesPerSecond: 123 };
  }
}

export function fakeModel(): TrainableModel {
  return {
    architecture: 'fake',
    config: {},
    hiddenSize: 8,
    info: { architecture: 'fake', source: 'fake-model', parameterCount: 1, backend: 'none', contextLength: 16 },
    tokenizer: undefined as never,
    save: async () => {},
    logLikelihood: async () => [],
    nextTokenLogprobs: async () => [],
    dispose: () => {},
  };
}

/** Rows in the glue_filtered format of every task, `n` per file, labels alternating. */
export function syntheticRows(task: string, n: number): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const label = task === 'mnli' ? i % 3 : i % 2;
    const base = { label, idx: i };
    switch (task) {
      case 'boolq': rows.push({ question: `is ${i} even`, passage: `Numbers: ${i}.`, ...base }); break;
      case 'multirc': rows.push({ paragraph: `Story ${i}.`, question: `Who ${i}?`, answer: `A${i}`, idx: { paragraph: 0, question: i, answer: i }, label }); break;
      case 'rte': case 'mrpc': rows.push({ sentence1: `s1 ${i}`, sentence2: `s2 ${i}`, ...base }); break;
      case 'wsc': rows.push({ text: `Mark saw Pete ${i}. He waved.`, span1_index: 0, span2_index: 4, span1_text: 'Mark', span2_text: 'He', ...base }); break;
      case 'qqp': rows.push({ question1: `q1 ${i}?`, question2: `q2 ${i}?`, ...base }); break;
      case 'mnli': rows.push({ premise: `p ${i}`, hypothesis: `h ${i}`, ...base }); break;
      default: throw new Error(task);
    }
  }
  return rows;
}

export async function writeJsonl(file: string, rows: Array<Record<string, unknown>>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

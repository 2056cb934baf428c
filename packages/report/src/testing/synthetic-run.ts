/**
 * A small synthetic run directory with hand-picked scores, so the report's numbers can be checked by hand.
 * Model `tiny`, conditions baseline / merged / sequential, seeds 1 and 2, plus one failed cell (hybrid, seed 1)
 * and one unfinished cell (no cell.json).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resultsRecord, type ModelInfo, type ResultsRecord } from '@class-it/core';

/** score per task, condition, seed: [seed 1, seed 2] */
export const BLIMP = { baseline: [60, 62], merged: [63, 65], sequential: [66, 70] } as const;
export const WUG = { baseline: [0.1, 0.3], merged: [0.2, 0.2], sequential: [0.5, 0.4] } as const;
export const READING_ET = { baseline: [2, 4], merged: [3, 3], sequential: [5, 6] } as const;
export const READING_SPR = { baseline: [1, 1], merged: [2, 1], sequential: [1, 3] } as const;
/** RTE: accuracy ×100 is the headline; extra has fractions. */
export const RTE_ACC = { baseline: [50, 54], merged: [52, 56], sequential: [56, 58] } as const;
export const RTE_F1 = { baseline: [40, 44], merged: [42, 46], sequential: [46, 48] } as const;
/** MRPC: F1 ×100 is the headline; extra has fractions (accuracy and f1). */
export const MRPC_F1 = { baseline: [80, 82], merged: [81, 83], sequential: [84, 86] } as const;
export const MRPC_ACC = { baseline: [70, 72], merged: [71, 73], sequential: [74, 76] } as const;

export type Condition = keyof typeof BLIMP;
export const CONDITIONS: Condition[] = ['baseline', 'merged', 'sequential'];
export const SEEDS = [1, 2] as const;

const MODEL: ModelInfo = { architecture: 'gpt', source: 'tiny', parameterCount: 1000, backend: 'wasm', contextLength: 64 };

/** A results.json as the runner writes it. */
function result(task: string, evaluator: string, metric: string, score: number, extra: Record<string, number> = {}, groups: Record<string, number> = {}): ResultsRecord {
  return resultsRecord(
    { result: { task, evaluator, metric, score, groups, extra, itemCount: 100, files: ['predictions.json'] }, details: {} },
    MODEL, { at: '2025-01-01T00:05:00Z', seconds: 1 },
  );
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(value, null, 2));
}

export async function writeSyntheticRun(root?: string): Promise<string> {
  const base = root ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-report-')));
  const runDir = path.join(base, 'runs', 'synthetic');
  for (const condition of CONDITIONS) {
    for (const [i, seed] of SEEDS.entries()) {
      const cellDir = path.join(runDir, 'cells', `tiny__${condition}__seed${seed}`);
      await writeJson(path.join(cellDir, 'cell.json'), { model: 'tiny', condition, seed, status: 'done', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:05:00Z' });
      const evalDir = path.join(cellDir, 'eval');
      await writeJson(path.join(evalDir, 'blimp', 'results.json'), result('blimp', 'blimp', 'accuracy', BLIMP[condition][i]!, {}, { anaphor_gender_agreement: 70 }));
      await writeJson(path.join(evalDir, 'wug_adj', 'results.json'), result('wug_adj', 'wug', 'spearman', WUG[condition][i]!));
      await writeJson(path.join(evalDir, 'reading', 'results.json'), result('reading', 'reading', 'eye_tracking', READING_ET[condition][i]!, { self_paced_reading: READING_SPR[condition][i]! }));
      await writeJson(path.join(evalDir, 'rte', 'results.json'), result('rte', 'superglue', 'accuracy', RTE_ACC[condition][i]!,
        { accuracy: RTE_ACC[condition][i]! / 100, f1: RTE_F1[condition][i]! / 100, mcc: 0.1 }));
      await writeJson(path.join(evalDir, 'mrpc', 'results.json'), result('mrpc', 'superglue', 'f1', MRPC_F1[condition][i]!,
        { accuracy: MRPC_ACC[condition][i]! / 100, f1: MRPC_F1[condition][i]! / 100, mcc: 0.2 }));
      // Learning curve: BLiMP at three milestones rising towards the final score.
      for (const [words, frac] of [[1, 0.8], [2, 0.9], [10, 1]] as const) {
        await writeJson(path.join(cellDir, 'checkpoints', `chck_${words}M`, 'eval', 'blimp', 'results.json'),
          result('blimp', 'blimp', 'accuracy', BLIMP[condition][i]! * frac));
      }
      // Training loss: sequential has two stages.
      const lines: string[] = [];
      for (let step = 1; step <= 50; step++) {
        const stage = condition === 'sequential' ? (step <= 25 ? 'conversational' : 'qa') : condition === 'baseline' ? 'none' : 'merged';
        lines.push(JSON.stringify({ step, stage, loss: 5 / Math.sqrt(step) + 0.1 * seed + (stage === 'qa' ? 0.5 : 0), lr: 1e-4, grad_norm: 1, tokens_per_s: 1000, words_seen: step * 2000 }));
      }
      await fs.mkdir(path.join(cellDir, 'train'), { recursive: true });
      await fs.writeFile(path.join(cellDir, 'train', 'metrics.jsonl'), lines.join('\n') + '\n');
    }
  }
  await writeJson(path.join(runDir, 'cells', 'tiny__hybrid__seed1', 'cell.json'),
    { model: 'tiny', condition: 'hybrid', seed: 1, status: 'failed', error: 'Error: out of memory\n    at train', startedAt: 'x', finishedAt: 'y' });
  await fs.mkdir(path.join(runDir, 'cells', 'tiny__hybrid__seed2', 'train'), { recursive: true });
  return runDir;
}

/**
 * Fault injection (issue 12): a real child process is SIGKILLed at each write and rename step of a save (core's
 * `crashPoint`, CLASS_IT_TEST_CRASH_AT=n), then the work is resumed.
 * - Trainer checkpoints: the resumed run starts from the newest checkpoint committed before the kill and ends with
 *   final weights and metrics.jsonl byte-identical to an uninterrupted run, leaving no temporaries behind.
 * - `writeDirAtomic` (final/, tokenizer/, milestones) replacing a directory: after a kill at each step a complete
 *   version (the old or the new one) is found, and the next write succeeds and tidies up.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveDirAtomic, writeDirAtomic } from '@class-it/core';
import { FAULT_RUN_CHECKPOINT_STEPS, FAULT_RUN_STEPS, trainFaultRun } from './fault-training.js';
import { runTsChild, type ChildResult } from './ts-child.js';

const TRAIN_CHILD = fileURLToPath(new URL('./fault-child-train.ts', import.meta.url));
const DIR_CHILD = fileURLToPath(new URL('./fault-child-dir.ts', import.meta.url));

let work: string;
let childEnv: Record<string, string>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-faults-'));
  childEnv = { CLASS_IT_TS_CACHE: path.join(work, 'ts-cache') };
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** The crash points a run passes, in order (1-based numbers), from a traced run of `entry`. */
async function tracePoints(entry: string, args: string[]): Promise<string[]> {
  const trace = path.join(work, `trace-${path.basename(entry)}.tsv`);
  const result = await runTsChild(entry, args, { ...childEnv, CLASS_IT_TEST_CRASH_TRACE: trace });
  expect(result.status, result.stderr).toBe(0);
  return (await fs.readFile(trace, 'utf8')).trim().split('\n').map((line, i) => {
    const [n, label] = line.split('\t');
    expect(Number(n)).toBe(i + 1);
    return label!;
  });
}

/** Run `entry` with a kill at crash point n, for every n, a few at a time. */
async function killAtEachPoint(entry: string, count: number, args: (n: number) => string[]): Promise<ChildResult[]> {
  const parallel = Math.min(6, Math.max(2, os.availableParallelism()));
  const results: ChildResult[] = [];
  for (let first = 1; first <= count; first += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - first + 1) }, (_, i) => first + i);
    results.push(...await Promise.all(batch.map((n) => runTsChild(entry, args(n), { ...childEnv, CLASS_IT_TEST_CRASH_AT: String(n) }))));
  }
  return results;
}

async function outputsOf(outDir: string): Promise<{ weights: Buffer; metrics: Buffer }> {
  return {
    weights: await fs.readFile(path.join(outDir, 'final', 'weights.json')),
    metrics: await fs.readFile(path.join(outDir, 'metrics.jsonl')),
  };
}

describe('checkpoint fault injection', () => {
  it('a run killed at any step of a checkpoint save resumes to byte-identical weights and metrics', async () => {
    const baselineDir = path.join(work, 'baseline');
    const baselineSummary = await trainFaultRun(baselineDir);
    expect(baselineSummary.steps).toBe(FAULT_RUN_STEPS);
    const baseline = await outputsOf(baselineDir);
    expect(baseline.metrics.toString().trim().split('\n')).toHaveLength(FAULT_RUN_STEPS);

    const tracedDir = path.join(work, 'traced');
    const labels = await tracePoints(TRAIN_CHILD, [tracedDir]);
    expect(await outputsOf(tracedDir)).toEqual(baseline); // the child trains exactly like this process
    const commits = labels.flatMap((label, i) => (label === 'checkpoint: committed' ? [i + 1] : []));
    expect(commits).toHaveLength(FAULT_RUN_CHECKPOINT_STEPS.length);
    for (const step of ['checkpoint: model saved', 'file training-state.safetensors: written', 'file train-state.json: renamed into place',
      'checkpoint: step-00000004 moved away', 'checkpoint: step-00000008 removed']) expect(labels).toContain(step);

    const dirOf = (n: number) => path.join(work, `killed-${n}`);
    const killed = await killAtEachPoint(TRAIN_CHILD, labels.length, (n) => [dirOf(n)]);
    for (const [i, result] of killed.entries()) {
      const n = i + 1;
      expect(result.signal, `kill at ${n} (${labels[i]}): ${result.stderr}`).toBe('SIGKILL');
      const committedBefore = commits.filter((c) => c <= n).length;
      const expectedStep = committedBefore === 0 ? 0 : FAULT_RUN_CHECKPOINT_STEPS[committedBefore - 1];
      const summary = await trainFaultRun(dirOf(n));
      expect(summary.resumedFromStep, `resume after a kill at ${n} (${labels[i]})`).toBe(expectedStep);
      expect(await outputsOf(dirOf(n)), `outputs after a kill at ${n} (${labels[i]})`).toEqual(baseline);
      expect(await fs.readdir(path.join(dirOf(n), 'checkpoints'))).toEqual(['step-00000010']);
    }
  }, 240_000);

  it('writeDirAtomic killed at any step leaves a complete directory, and the next write recovers', async () => {
    const write = (target: string, version: string) => writeDirAtomic(target, async (tmp) => {
      await fs.writeFile(path.join(tmp, 'a.txt'), version);
      await fs.writeFile(path.join(tmp, 'b.txt'), version);
    });
    const fresh = async (name: string) => {
      const target = path.join(work, 'dirs', name, 'final');
      await write(target, 'v1');
      return target;
    };
    const labels = await tracePoints(DIR_CHILD, [await fresh('traced'), 'v2']);
    expect(labels).toEqual(['dir final: filled', 'dir final: previous moved aside', 'dir final: renamed into place', 'dir final: previous removed']);

    const targets = await Promise.all(labels.map((_, i) => fresh(`killed-${i + 1}`)));
    const killed = await killAtEachPoint(DIR_CHILD, labels.length, (n) => [targets[n - 1]!, 'v2']);
    for (const [i, result] of killed.entries()) {
      expect(result.signal, result.stderr).toBe('SIGKILL');
      const target = targets[i]!;
      const found = await resolveDirAtomic(target);
      const contents = [await fs.readFile(path.join(found, 'a.txt'), 'utf8'), await fs.readFile(path.join(found, 'b.txt'), 'utf8')];
      const newOneInPlace = i + 1 >= labels.indexOf('dir final: renamed into place') + 1;
      expect(contents, `after a kill at ${labels[i]}`).toEqual(newOneInPlace ? ['v2', 'v2'] : ['v1', 'v1']);
      await write(target, 'v3');
      expect(await fs.readdir(path.dirname(target))).toEqual(['final']);
      expect(await fs.readFile(path.join(target, 'a.txt'), 'utf8')).toBe('v3');
    }
  }, 120_000);
});

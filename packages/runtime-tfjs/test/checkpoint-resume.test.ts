/**
 * What a resume finds (issue 12): the newest complete checkpoint (a step directory without its `train-state.json`
 * is not one), the earlier `checkpoints/last` layout (also as a kill in its old swap left it), metrics.jsonl cut
 * back to the resumed step with one line per step, and a fresh start when there is no checkpoint. Each run must
 * end byte-identical to an uninterrupted one (fault-training.ts freezes the clock for that).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { trainFaultRun } from './fault-training.js';

let work: string;
let baseline: { weights: Buffer; metrics: Buffer };

async function outputsOf(outDir: string): Promise<{ weights: Buffer; metrics: Buffer }> {
  return { weights: await fs.readFile(path.join(outDir, 'final', 'weights.json')), metrics: await fs.readFile(path.join(outDir, 'metrics.jsonl')) };
}

/** A run stopped after `step` (the newest checkpoint is then the one of step 4 or none). */
async function stoppedRun(name: string, step: number): Promise<string> {
  const dir = path.join(work, name);
  await expect(trainFaultRun(dir, step)).rejects.toThrow(`stopped after step ${step}`);
  return dir;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'checkpoint-resume-'));
  baseline = await outputsOf((await trainFaultRun(path.join(work, 'baseline')), path.join(work, 'baseline')));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('resume', () => {
  it('reads the earlier layout: checkpoints/last', async () => {
    const dir = await stoppedRun('legacy-last', 6);
    const checkpoints = path.join(dir, 'checkpoints');
    await fs.rename(path.join(checkpoints, 'step-00000004'), path.join(checkpoints, 'last'));
    expect((await trainFaultRun(dir)).resumedFromStep).toBe(4);
    expect(await outputsOf(dir)).toEqual(baseline);
    expect(await fs.readdir(checkpoints)).toEqual(['step-00000010']);
  });

  it('reads what a kill in the old swap left: no `last`, the complete copy under its temporary name', async () => {
    const dir = await stoppedRun('legacy-hole', 6);
    const checkpoints = path.join(dir, 'checkpoints');
    await fs.rename(path.join(checkpoints, 'step-00000004'), path.join(checkpoints, '.last.tmp-4242-1.old'));
    expect((await trainFaultRun(dir)).resumedFromStep).toBe(4);
    expect(await outputsOf(dir)).toEqual(baseline);
    expect(await fs.readdir(checkpoints)).toEqual(['step-00000010']);
  });

  it('cuts metrics.jsonl back to the resumed step: no repeated step, no torn line', async () => {
    const dir = await stoppedRun('metrics', 6);
    const metrics = path.join(dir, 'metrics.jsonl');
    const lines = (await fs.readFile(metrics, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(6);
    // As the old layout's silent restart left it: steps 1-6, then 1-2 again, and a line cut off by a kill.
    await fs.appendFile(metrics, `${lines[0]}\n${lines[1]}\n{"step":3,"stage":"fi`);
    expect((await trainFaultRun(dir)).resumedFromStep).toBe(4);
    expect(await outputsOf(dir)).toEqual(baseline);
  });

  it('with no complete checkpoint starts over, with an empty metrics.jsonl and no leftovers', async () => {
    const dir = await stoppedRun('fresh', 3);
    const checkpoints = path.join(dir, 'checkpoints');
    // A step directory without train-state.json is not a checkpoint; temporaries of killed saves are removed.
    await fs.mkdir(path.join(checkpoints, 'step-00000008'), { recursive: true });
    await fs.writeFile(path.join(checkpoints, 'step-00000008', 'weights.json'), '{}');
    await fs.mkdir(path.join(checkpoints, '.step-00000004.tmp-4242'));
    expect((await trainFaultRun(dir)).resumedFromStep).toBe(0);
    expect(await outputsOf(dir)).toEqual(baseline);
    expect(await fs.readdir(checkpoints)).toEqual(['step-00000010']);
  });
});

import { describe, expect, it } from 'vitest';
import { classifierSchedule, classifierTotalSteps, classifierWarmupSteps, referenceLrFactor } from '../src/classifier/index.js';
import { findPython, runPython } from './classifier-python.js';

const recipe = { batchSize: 32, epochs: 10, learningRate: 3e-5, warmupFraction: 0.06, minFactor: 0.1 };

describe('fine-tuning schedule (reference LambdaLR)', () => {
  it('total steps = floor(N / batch) * epochs, warm-up = int(0.06 * total)', () => {
    expect(classifierTotalSteps(2490, 32, 10)).toBe(770); // RTE: 77 full batches (drop_last)
    expect(classifierWarmupSteps(770, 0.06)).toBe(46); // int(46.2)
    expect(classifierTotalSteps(554, 32, 30)).toBe(510); // WSC
    expect(classifierWarmupSteps(510, 0.06)).toBe(30); // int(30.599999)
    const s = classifierSchedule(2490, recipe);
    expect([s.stepsPerEpoch, s.totalSteps, s.warmupSteps]).toEqual([77, 770, 46]);
  });

  it('matches the formula at sample steps', () => {
    const f = (step: number) => referenceLrFactor(step, 46, 770, 0.1);
    expect(f(0)).toBe(0); // the first optimizer step runs at lr 0
    expect(f(23)).toBe(0.5);
    expect(f(45)).toBe(45 / 46);
    expect(f(46)).toBe(1); // cos(0)
    expect(f(46 + 362)).toBeCloseTo(0.55, 15); // half-way: 0.1 + 0.9 * 0.5 * (1 + cos(pi / 2))
    expect(f(46 + 181)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.25)), 15);
    expect(f(769)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos((Math.PI * 723) / 724)), 15);
    expect(f(770)).toBe(0.1); // the floor
    expect(classifierSchedule(2490, recipe).learningRate(46 + 362)).toBeCloseTo(3e-5 * 0.55, 20);
    // no warm-up when 0.06 * total < 1: cosine from the first step
    expect(referenceLrFactor(0, 0, 10, 0.1)).toBe(1);
    expect(referenceLrFactor(5, 0, 10, 0.1)).toBeCloseTo(0.55, 15);
  });

  const python = findPython(['torch']);
  if (!python) console.warn('SKIPPED: LambdaLR parity test: no python with torch (.venv or python3)');
  it.skipIf(!python)('equals torch LambdaLR + AdamW learning rates at every step', () => {
    const script = `
import json, sys, math, torch
cfg = json.load(sys.stdin)
total, warm = cfg["total"], cfg["warmup"]
def f(s):
    if s < warm: return float(s) / float(max(1, warm))
    progress = float(s - warm) / float(max(1, total - warm))
    return max(0.1, 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.AdamW([p], lr=3e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, f)
lrs = []
for _ in range(total):
    lrs.append(opt.param_groups[0]["lr"])
    p.grad = torch.ones(1)
    opt.step(); sched.step()
print(json.dumps(lrs))
`;
    const s = classifierSchedule(2490, recipe);
    const lrs = runPython<number[]>(python!, script, { total: s.totalSteps, warmup: s.warmupSteps });
    expect(lrs).toHaveLength(770);
    lrs.forEach((lr, step) => expect(s.learningRate(step)).toBeCloseTo(lr, 18));
  });
});

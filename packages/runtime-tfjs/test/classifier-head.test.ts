import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClassificationHead, geluErf, layerNormNoAffine } from '../src/classifier/index.js';
import { findPython, runPython } from './classifier-python.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('classification head', () => {
  it('GELU is the exact (erf) one and LayerNorm has no gain or bias', () => {
    const g = geluErf(tf.tensor1d([-1, 0, 1, 2])).arraySync();
    [-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 6));
    const n = layerNormNoAffine(tf.tensor2d([[1, 2, 3, 4]])).arraySync()[0]!;
    const sd = Math.sqrt(1.25 + 1e-5); // biased variance of 1..4 is 1.25
    [-1.5, -0.5, 0.5, 1.5].forEach((c, i) => expect(n[i]).toBeCloseTo(c / sd, 6));
  });

  it('initialises like torch.nn.Linear: U(-1/sqrt(H), 1/sqrt(H)) for weights and biases, seeded', () => {
    const head = new ClassificationHead(64, 3, 7, 0.1);
    const bound = 1 / 8;
    for (const [name, v] of head.variables) {
      const data = v.dataSync();
      expect(Math.max(...data.map(Math.abs)), name).toBeLessThanOrEqual(bound);
      if (data.length > 100) expect(Math.max(...data.map(Math.abs)), name).toBeGreaterThan(0.9 * bound);
    }
    expect([...head.variables.keys()]).toEqual(['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias']);
    expect(head.variables.get('classifier.out_proj.weight')!.shape).toEqual([64, 3]);
    const again = new ClassificationHead(64, 3, 7, 0.1);
    expect(Array.from(again.variables.get('classifier.dense.weight')!.dataSync())).toEqual(Array.from(head.variables.get('classifier.dense.weight')!.dataSync()));
    head.dispose();
    again.dispose();
  });

  const python = findPython(['torch']);
  if (!python) console.warn('SKIPPED: head parity with torch: no python with torch');
  it.skipIf(!python)('gives the logits of the reference head in torch (eval mode)', () => {
    const head = new ClassificationHead(16, 3, 11, 0.1);
    const x = tf.randomNormal([5, 16], 0, 2, 'float32', 3) as tf.Tensor2D;
    const ours = head.apply(x, false).arraySync();
    const weights = Object.fromEntries([...head.exportTorch()].map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }]));
    const script = `
import json, sys, torch
cfg = json.load(sys.stdin)
H, L = 16, 3
head = torch.nn.Sequential(torch.nn.LayerNorm(H, eps=1e-5, elementwise_affine=False), torch.nn.Linear(H, H), torch.nn.GELU(),
    torch.nn.LayerNorm(H, eps=1e-5, elementwise_affine=False), torch.nn.Dropout(0.1), torch.nn.Linear(H, L))
w = cfg["weights"]
t = lambda k: torch.tensor(w[k]["data"], dtype=torch.float32).reshape(w[k]["shape"])
with torch.no_grad():
    head[1].weight.copy_(t("classifier.dense.weight")); head[1].bias.copy_(t("classifier.dense.bias"))
    head[5].weight.copy_(t("classifier.out_proj.weight")); head[5].bias.copy_(t("classifier.out_proj.bias"))
    head.eval()
    print(json.dumps(head(torch.tensor(cfg["x"], dtype=torch.float32)).tolist()))
`;
    const ref = runPython<number[][]>(python!, script, { weights, x: x.arraySync() });
    ref.forEach((row, i) => row.forEach((v, j) => expect(ours[i]![j]).toBeCloseTo(v, 5)));
    head.dispose();
    x.dispose();
  });
});

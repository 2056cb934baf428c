/**
 * The fine-tuning streams of the quickstart's RTE run, recorded before the runtime's seeding moved to core's random
 * module (`deriveIndexedSeed`, `randomAtState`): the classification head's initial weights and dropout, and the
 * epoch shuffle. They must not change.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveIndexedSeed } from '@class-it/core';
import { ClassificationHead, seededPermutation } from '../src/classifier/index.js';

const first = (t: tf.Tensor, n: number) => Array.from(t.dataSync().slice(0, n));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fine-tuning seeded streams (pinned)', () => {
  it('the head initialisation and its dropout', () => {
    const head = new ClassificationHead(16, 3, deriveIndexedSeed(1337, 1), 0.1);
    const pins: Array<[string, number[], number]> = [
      ['classifier.dense.weight', [0.2344929724931717, 0.07799895852804184, 0.1988171488046646], 5.144197322777472],
      ['classifier.dense.bias', [-0.0897255390882492, 0.14551900327205658, -0.07512176781892776], 0.28427971340715885],
      ['classifier.out_proj.weight', [-0.040633607655763626, -0.19685882329940796, -0.01717938669025898], 0.24314759112894535],
      ['classifier.out_proj.bias', [-0.043204136192798615, 0.16917386651039124, -0.04990789666771889], 0.07606183364987373],
    ];
    for (const [name, values, total] of pins) {
      const v = head.variables.get(name)!;
      expect(first(v, 3), name).toEqual(values);
      expect(Array.from(v.dataSync()).reduce((a, b) => a + b, 0), name).toBe(total);
    }
    const logits = tf.tidy(() => first(head.apply(tf.ones([2, 16]) as tf.Tensor2D, true, 5), 6));
    expect(logits).toEqual([-0.08468708395957947, 0.07665495574474335, 0.8910636901855469, 0.026874713599681854, -0.24300917983055115, 0.6906139254570007]);
    head.dispose();
  });

  it('the epoch shuffle', () => {
    expect(seededPermutation(10, 5)).toEqual([5, 3, 7, 8, 2, 0, 4, 1, 9, 6]);
    expect(seededPermutation(12, deriveIndexedSeed(1337, 3))).toEqual([3, 5, 9, 11, 2, 4, 7, 1, 6, 0, 10, 8]);
  });
});

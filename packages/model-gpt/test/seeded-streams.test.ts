/**
 * GPT's random numbers are part of the quickstart's output: initial weights (tensor i from
 * `deriveIndexedSeed(seed, i)`), dropout masks (per call and per site) and resized embedding rows. These values were
 * recorded before seeding moved to core's random module; they must not change.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@class-it/runtime-tfjs';
import { GptModule, resolveGptConfig } from '../src/index.js';

const first = (t: tf.Tensor, n: number) => Array.from(t.dataSync().slice(0, n));
const sum = (t: tf.Tensor) => Array.from(t.dataSync()).reduce((a, b) => a + b, 0);

let module: GptModule;
beforeAll(async () => {
  await initEngine('cpu');
  const config = resolveGptConfig(undefined, {
    vocab_size: 50, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1,
  });
  module = GptModule.create(config, 1337);
});

describe('GPT seeded streams (pinned)', () => {
  it('initial weights', () => {
    const pins: Array<[string, number[], number]> = [
      ['transformer.wte.weight', [-0.025371529161930084, -0.001132880337536335, 0.010333155281841755], -0.05093978264631005],
      ['transformer.wpe.weight', [0.03746265172958374, 0.01506221853196621, -0.020594727247953415], 0.2708547626625659],
      ['transformer.h.0.attn.c_attn.weight', [0.007281912956386805, 0.021442076191306114, 0.00862419418990612], -0.0721669563154137],
      ['transformer.h.0.attn.c_proj.weight', [-0.019027000293135643, 0.0028166440315544605, -0.0011240339372307062], 0.11486614671593998],
      ['transformer.h.1.mlp.c_fc.weight', [-0.036033421754837036, 0.020601756870746613, -0.009570327587425709], -0.5298755030162283],
      ['transformer.h.1.mlp.c_proj.weight', [0.013144200667738914, -0.0027003269642591476, -0.0012819550465792418], -0.30418750751164225],
    ];
    for (const [name, values, total] of pins) {
      const v = module.variables.get(name)!;
      expect(first(v, 3), name).toEqual(values);
      expect(sum(v), name).toBe(total);
    }
  });

  it('dropout masks: per call without a seed, and from dropoutSeed', () => {
    const ids = tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], [2, 5], 'int32');
    const logits = (seed?: number) => tf.tidy(() => first(module.forward(ids, { training: true, dropoutSeed: seed }).logits, 6));
    expect(logits()).toEqual([-0.026567932218313217, 0.21115678548812866, 0.06221075728535652, 0.008910568431019783, 0.027114426717162132, 0.10676932334899902]);
    expect(logits()).toEqual([-0.06092814728617668, 0.2556626796722412, 0.00022983145026955754, 0.04264935478568077, 0.02069024369120598, 0.07011469453573227]);
    expect(logits(99)).toEqual([-0.03620796650648117, 0.28158342838287354, -0.03055683709681034, 0.049165453761816025, 0.03912952542304993, 0.04447207972407341]);
    ids.dispose();
  });

  it('rows added by resizeTokenEmbeddings', () => {
    module.resizeTokenEmbeddings(53, 7);
    const added = tf.tidy(() => first(tf.slice(module.variables.get('transformer.wte.weight')!, [50, 0], [3, 16]), 8));
    expect(added).toEqual([
      -0.006204415112733841, -0.0019352162489667535, 0.0036428766325116158, 0.0007442113128490746,
      -0.0027053626254200935, 0.001968792639672756, -0.00021441902208607644, 0.0010631305631250143,
    ]);
    module.dispose();
  });
});

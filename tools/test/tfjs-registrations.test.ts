/**
 * The runtime registers tfjs-core's gradients and tensor methods from a vendored bundle instead of importing the
 * whole @tensorflow/tfjs: the bundle is what tools/scripts/vendor-tfjs-core.mjs makes from the installed tfjs-core,
 * the runtime does not depend on @tensorflow/tfjs, and gradients and chained ops work once the runtime is loaded.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '@class-it/runtime-tfjs';
// @ts-expect-error: a plain .mjs script without types
import { generate, TARGET } from '../scripts/vendor-tfjs-core.mjs';

const workspace = path.resolve(__dirname, '..', '..');

describe('tfjs-core registrations without @tensorflow/tfjs', () => {
  it('the vendored bundle is up to date with the installed tfjs-core', async () => {
    const installed = JSON.parse(readFileSync(path.join(workspace, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).version;
    const current = readFileSync(TARGET, 'utf8');
    expect(current).toContain(`TFJS_REGISTRATIONS_VERSION = '${installed}'`);
    expect(current === (await generate()), 'stale: run node tools/scripts/vendor-tfjs-core.mjs').toBe(true);
  });

  it('the runtime needs only tfjs-core and its backends', () => {
    const pkg = JSON.parse(readFileSync(path.join(workspace, 'packages/runtime-tfjs/package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@tensorflow/')).sort())
      .toEqual(['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core']);
  });

  it('gradients and tensor methods work once the runtime is loaded', async () => {
    await initEngine('cpu');
    expect(typeof tf.range(0, 3).reshape).toBe('function');
    // d/dx sum(gather(x, [0, 0, 2])^2) = [4x0, 0, 2x2]; d/dx mean(softmax(x)·w) through the registered kernels
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.gather(v, tf.tensor1d([0, 0, 2], 'int32')))))(x);
    expect(Array.from(await g.data())).toEqual([4, 0, 6]);
    const h = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softmax(v), tf.tensor1d([1, 0, 0]))))(x);
    const p = Array.from(await tf.softmax(x).data());
    const expected = [p[0]! * (1 - p[0]!), -p[0]! * p[1]!, -p[0]! * p[2]!];
    Array.from(await h.data()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });
});

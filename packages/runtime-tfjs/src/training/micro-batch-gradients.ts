/**
 * The loss and gradients of one micro-batch (Σ w·CE and its gradient for every variable). On the native engine
 * the forward and backward pass run as one TensorFlow graph function per micro-batch shape
 * (../engine/native-function.ts). Its inputs are the batch, the dropout seed and the weights; its outputs are the
 * loss and the gradients. Every result comes from the function, the traced steps included, so a step computes the
 * same numbers whether it was traced or not, and a resumed run matches an uninterrupted one. The dropout masks
 * come from the seed tensor (`withDropoutSeed`), the same with or without graph functions. Micro-batches are
 * padded to a multiple of `WIDTH_STEP` positions (at most the context window) there, so that data of many lengths
 * (instruction tuning) make a few shapes, not one function per length: padding has loss weight 0, sits after every
 * real token (which never attends to it), and so changes neither the loss nor the gradients beyond float32
 * rounding. Elsewhere it is `tf.variableGrads` on the batch as it is.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLMModule } from '../causal-lm.js';
import { isNativeEngine } from '../engine/native.js';
import { NativeFunction } from '../engine/native-function.js';
import { withDropoutSeed } from '../engine/ops.js';
import { disposeBatch, weightedLoss, type BatchTensors } from './loss.js';

/** Native micro-batches are padded to a multiple of this many positions (a graph function per width). */
export const WIDTH_STEP = 64;

export interface MicroBatchResult {
  value: tf.Scalar;
  /** Keyed by tfjs variable name, as tf.variableGrads returns them. */
  grads: Record<string, tf.Tensor>;
}

export class MicroBatchGradients {
  /** One graph function per micro-batch shape (and packing). */
  private readonly functions = new Map<string, { step: NativeFunction; gradNames: string[] }>();

  constructor(private readonly module: CausalLMModule) {}

  compute(unpadded: BatchTensors, dropoutSeed: number): MicroBatchResult {
    const varList = [...this.module.variables.values()];
    if (!isNativeEngine()) return tf.variableGrads(() => weightedLoss(this.module, unpadded, true, dropoutSeed), varList) as MicroBatchResult;
    const [rows, time] = unpadded.ids.shape;
    const width = Math.max(time, Math.min(Math.ceil(time / WIDTH_STEP) * WIDTH_STEP, this.module.contextLength));
    const batch = width === time ? unpadded : paddedBatch(unpadded, width);
    try {
      return this.computeNative(batch, dropoutSeed, varList, `${rows}x${width}`);
    } finally {
      if (batch !== unpadded) disposeBatch(batch);
    }
  }

  private computeNative(batch: BatchTensors, dropoutSeed: number, varList: tf.Variable[], shape: string): MicroBatchResult {
    const loss = () => weightedLoss(this.module, batch, true, dropoutSeed);
    const packing = [batch.segmentIds, batch.positionIds].filter((t): t is tf.Tensor2D => t !== undefined);
    const key = `${shape}:${packing.length}`;
    let entry = this.functions.get(key);
    if (!entry) {
      entry = { step: new NativeFunction({ resultsFromFunction: true }), gradNames: [] };
      this.functions.set(key, entry);
    }
    const { step } = entry;
    return tf.tidy(() => {
      const seed = tf.scalar(dropoutSeed | 0, 'int32');
      const [value, ...grads] = step.run([batch.ids, batch.targets, batch.weights, ...packing, seed, ...varList], () => {
        const result = tf.variableGrads(() => withDropoutSeed(seed, loss), varList);
        entry.gradNames = Object.keys(result.grads);
        return [result.value, ...entry.gradNames.map((name) => result.grads[name]!)];
      });
      return { value: value as tf.Scalar, grads: Object.fromEntries(entry.gradNames.map((name, i) => [name, grads[i]!])) };
    });
  }
}

/** `batch` with every row padded on the right to `width` positions: id 0, target 0, weight 0, segment 0, position 0. */
function paddedBatch(batch: BatchTensors, width: number): BatchTensors {
  const [rows, time] = batch.ids.shape;
  return tf.tidy(() => {
    const pad2 = (x: tf.Tensor2D) => tf.pad(x, [[0, 0], [0, width - time]]) as tf.Tensor2D;
    const pad1 = (x: tf.Tensor1D) => tf.reshape(pad2(tf.reshape(x, [rows, time]) as tf.Tensor2D), [rows * width]) as tf.Tensor1D;
    return {
      ids: pad2(batch.ids),
      targets: pad1(batch.targets),
      weights: pad1(batch.weights),
      segmentIds: batch.segmentIds ? pad2(batch.segmentIds) : undefined,
      positionIds: batch.positionIds ? pad2(batch.positionIds) : undefined,
      tokens: batch.tokens,
    };
  });
}

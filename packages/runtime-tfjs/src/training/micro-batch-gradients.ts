/**
 * The loss and gradients of one micro-batch (Σ w·CE and its gradient for every variable). On the native engine
 * the forward and backward pass run as one TensorFlow graph function per micro-batch shape
 * (../engine/native-function.ts). Its inputs are the batch, the dropout seed and the weights; its outputs are the
 * loss and the gradients. Every result comes from the function, the traced steps included, so a step computes the
 * same numbers whether it was traced or not, and a resumed run matches an uninterrupted one. The dropout masks
 * come from the seed tensor (`withDropoutSeed`), the same with or without graph functions. Elsewhere it is
 * `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLMModule } from '../causal-lm.js';
import { isNativeEngine } from '../engine/native.js';
import { NativeFunction } from '../engine/native-function.js';
import { withDropoutSeed } from '../engine/ops.js';
import { weightedLoss, type BatchTensors } from './loss.js';

export interface MicroBatchResult {
  value: tf.Scalar;
  /** Keyed by tfjs variable name, as tf.variableGrads returns them. */
  grads: Record<string, tf.Tensor>;
}

export class MicroBatchGradients {
  /** One graph function per micro-batch shape (and packing). */
  private readonly functions = new Map<string, { step: NativeFunction; gradNames: string[] }>();

  constructor(private readonly module: CausalLMModule) {}

  compute(batch: BatchTensors, dropoutSeed: number): MicroBatchResult {
    const varList = [...this.module.variables.values()];
    const loss = () => weightedLoss(this.module, batch, true, dropoutSeed);
    if (!isNativeEngine()) return tf.variableGrads(loss, varList) as MicroBatchResult;
    const packing = [batch.segmentIds, batch.positionIds].filter((t): t is tf.Tensor2D => t !== undefined);
    const key = `${batch.ids.shape.join('x')}:${packing.length}`;
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

import type * as tf from '@tensorflow/tfjs-core';
import { add } from '@tensorflow/tfjs-core';

/**
 * Add one micro-batch's gradients (keyed by tfjs variable name, as `tf.variableGrads` returns them) into the
 * running sums (keyed by HF name), disposing what is no longer needed. Used by both trainers.
 */
export function accumulateGradients(
  sums: Map<string, tf.Tensor>,
  micro: Record<string, tf.Tensor>,
  keyByTfName: Map<string, string>,
): void {
  for (const [tfName, g] of Object.entries(micro)) {
    const key = keyByTfName.get(tfName)!;
    const acc = sums.get(key);
    if (acc) {
      sums.set(key, add(acc, g));
      acc.dispose();
      g.dispose();
    } else {
      sums.set(key, g);
    }
  }
}

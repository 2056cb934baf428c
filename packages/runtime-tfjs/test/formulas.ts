/**
 * GPT-2's `gelu_new` and the layer norm written out with plain tfjs ops, in the order of ops.ts's forward passes (so
 * op by op they give the same float32 numbers): what the hand-written gradients and the fused native kernels are
 * checked against.
 */
import * as tf from '@tensorflow/tfjs-core';

export function plainGelu(t: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(t, 0.5), tf.add(tf.tanh(tf.mul(tf.add(t, tf.mul(tf.mul(tf.mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
}

/** Layer norm over the last axis (biased variance), times `gain` plus `shift`. */
export function plainLayerNorm(t: tf.Tensor, gain: tf.Tensor, shift: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  const mean = tf.mean(t, -1, true);
  const centred = tf.sub(t, mean);
  const variance = tf.mean(tf.mul(centred, centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gain), shift);
}

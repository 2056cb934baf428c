/**
 * Growing a token embedding (or an untied LM head) to a larger vocabulary, as HF `resize_token_embeddings` does
 * with `mean_resizing=True` (the default in recent transformers): existing rows are kept bit for bit, and each
 * new row is drawn around the mean of the old rows, mean + N(0, 1e-9 * var). HF samples from a multivariate normal
 * with 1e-9 times the full covariance; we use its diagonal (per-dimension variance), which is the same up to
 * correlations between dimensions at a scale of ~3e-5 standard deviations. New tokens therefore start out as an
 * "average token" (their logits are close to the mean logit, no new token dominates the softmax), and the tiny
 * seeded noise makes them differ from each other.
 */
import * as tf from '@tensorflow/tfjs-core';

/** HF scales the covariance of the old embeddings by this factor for the new rows. */
export const MEAN_RESIZING_COVARIANCE_SCALE = 1e-9;

/** `rows` [V, d] grown to [newRows, d]: the old rows unchanged, new rows mean + N(0, 1e-9 var), seeded. */
export function meanResizedRows(rows: tf.Tensor2D, newRows: number, seed: number): tf.Tensor2D {
  const [oldRows, width] = rows.shape;
  if (!Number.isInteger(newRows) || newRows < oldRows) {
    throw new Error(`cannot resize an embedding of ${oldRows} rows to ${newRows} (only growing is supported)`);
  }
  if (newRows === oldRows) return tf.clone(rows);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(rows, 0); // [d] each
    const std = tf.sqrt(tf.mul(variance, MEAN_RESIZING_COVARIANCE_SCALE));
    const noise = tf.randomNormal([newRows - oldRows, width], 0, 1, 'float32', seed);
    const added = tf.add(tf.mul(noise, std), mean);
    return tf.concat([rows, added], 0) as tf.Tensor2D;
  });
}

/**
 * Replace `variables[key]` with a trainable variable holding `value` under the same tfjs variable name (the old
 * variable is disposed first, which frees the name); `value` is disposed. Optimizers created before the swap
 * still point at the old variable: resize before building one.
 */
export function replaceVariable(variables: Map<string, tf.Variable>, key: string, value: tf.Tensor): void {
  const old = variables.get(key);
  if (!old) throw new Error(`no variable '${key}' to replace`);
  const name = old.name;
  old.dispose();
  variables.set(key, tf.variable(value, true, name));
  value.dispose();
}

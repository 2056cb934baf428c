/**
 * The attention mask every causal architecture applies, as an additive bias on the attention scores (one rule
 * for GPT and LLaMA, so packing and padding mean the same in both).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Added to attention scores that are not allowed; exp() of it underflows to exactly 0 in float32. */
export const MASKED = -1e9;

/**
 * Additive attention bias [B or 1, 1, T, T]: +0 where query i may attend key j, `MASKED` elsewhere. Allowed iff
 * j <= i (causal), key j is not padding (`attentionMask` [B, T], 1 = real token), and (with packing) i and j share
 * a segment id (`segmentIds` [B, T]). With `prefixSegmentIds` [B, T] as well (shared prefixes, see
 * `ForwardOptions.prefixSegmentIds`), i may also attend j when j's segment id is i's prefix segment id. Without
 * either mask the result is [1, 1, T, T] and broadcasts over the batch.
 */
export function attentionBias(
  batch: number, time: number, attentionMask?: tf.Tensor2D, segmentIds?: tf.Tensor2D, prefixSegmentIds?: tf.Tensor2D,
): tf.Tensor4D {
  if (prefixSegmentIds && !segmentIds) throw new Error('attentionBias: prefixSegmentIds needs segmentIds');
  return tf.tidy(() => {
    let allowed: tf.Tensor = tf.reshape(tf.linalg.bandPart(tf.ones([time, time]), -1, 0), [1, 1, time, time]);
    if (attentionMask) {
      allowed = tf.mul(allowed, tf.reshape(tf.cast(attentionMask, 'float32'), [batch, 1, 1, time]));
    }
    if (segmentIds) {
      const keys = tf.reshape(segmentIds, [batch, 1, 1, time]);
      let visible = tf.equal(tf.reshape(segmentIds, [batch, 1, time, 1]), keys);
      if (prefixSegmentIds) visible = tf.logicalOr(visible, tf.equal(tf.reshape(prefixSegmentIds, [batch, 1, time, 1]), keys));
      allowed = tf.mul(allowed, tf.cast(visible, 'float32'));
    }
    return tf.mul(tf.sub(allowed, 1), -MASKED) as tf.Tensor4D; // allowed -> +0, blocked -> MASKED
  });
}

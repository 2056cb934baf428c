/**
 * Token cross-entropy with per-token loss weights, and the tensors of one micro-batch.
 *
 * The cross-entropy has a hand-written gradient, (softmax(x) - onehot(target)) * dy, built with scatterND:
 * it avoids tf.gather's gradient (UnsortedSegmentSum has no WASM kernel) and a dense one-hot in the forward
 * pass. A token with weight 0 gets dy = 0, hence exactly zero gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLMModule } from '../causal-lm.js';
import { isWasmEngine } from '../engine/backend.js';
import type { Row } from './batching.js';

/** The [N, 2] indices (row, target) of each row's target logit, for gatherND and scatterND. */
function targetIndices(target: tf.Tensor): tf.Tensor2D {
  return tf.stack([tf.range(0, target.shape[0]!, 1, 'int32'), tf.cast(target, 'int32')], 1) as tf.Tensor2D;
}

/** The gradients of the cross-entropy: softmax(x) dy - onehot(target) dy for the logits, zero for the targets. */
function crossEntropyGradients(softmaxTimesDy: tf.Tensor, target: tf.Tensor, dy: tf.Tensor, shape: [number, number]): tf.Tensor[] {
  return [tf.sub(softmaxTimesDy, tf.scatterND(targetIndices(target), dy as tf.Tensor1D, shape)), tf.zeros(target.shape, 'float32')];
}

/** Per-row cross-entropy -log softmax(logits)[target], logits [N, V], targets int32 [N] -> [N]. */
export function tokenCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  if (isWasmEngine()) return tokenCrossEntropyBySoftmax(logits, targets);
  const [n, v] = logits.shape;
  // Targets go in as an input (with a zero gradient) so the tape keeps them alive for the backward pass.
  // The forward pass keeps exp(x - max) and its row sums, so the backward pass needs no second exp over [N, V]:
  // softmax = e / s. (On wasm, where tfjs's Exp is a scalar loop, the softmax form below.)
  const crossEntropy = tf.customGrad(((x: tf.Tensor, target: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = x as tf.Tensor2D;
    const indices = targetIndices(target);
    const rowMax = tf.max(x2, 1, true);
    const e = tf.exp(tf.sub(x2, rowMax));
    const rowSum = tf.sum(e, 1, true);
    const lse = tf.reshape(tf.add(tf.log(rowSum), rowMax), [n]);
    save([e, rowSum, target]);
    return {
      value: tf.sub(lse, tf.gatherND(x2, indices)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [eSaved, sumSaved, targetSaved] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const scale = tf.div(tf.expandDims(dy as tf.Tensor1D, 1), sumSaved); // dy / s, per row
        return crossEntropyGradients(tf.mul(eSaved, scale), targetSaved, dy, [n, v]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return crossEntropy(logits, targets) as tf.Tensor1D;
}

/**
 * The same cross-entropy on wasm, from one softmax: tfjs's wasm Exp and broadcasting Sub are single-threaded loops
 * (155 and 54 ms for [1024, 16384] on the 2-vCPU VM), its Softmax XNNPACK's (48 ms). With p = softmax(x) and m the
 * row's max, the max of p is e^0 / s = 1 / s, so log-sum-exp = m - log(max p) (max p >= 1 / V: no underflow), and
 * the gradient is (p - onehot(target)) dy.
 */
function tokenCrossEntropyBySoftmax(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [n, v] = logits.shape;
  const crossEntropy = tf.customGrad(((x: tf.Tensor, target: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = x as tf.Tensor2D;
    const p = tf.softmax(x2);
    const lse = tf.sub(tf.max(x2, 1), tf.log(tf.max(p, 1)));
    save([p, target]);
    return {
      value: tf.sub(lse, tf.gatherND(x2, targetIndices(target))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [pSaved, targetSaved] = saved as [tf.Tensor2D, tf.Tensor1D];
        return crossEntropyGradients(tf.mul(pSaved, tf.expandDims(dy as tf.Tensor1D, 1)), targetSaved, dy, [n, v]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return crossEntropy(logits, targets) as tf.Tensor1D;
}

/** The tensors of one micro-batch, padded on the right to its longest row. */
export interface BatchTensors {
  ids: tf.Tensor2D;
  targets: tf.Tensor1D;
  /** Loss weight of every position, divided by the normaliser of the whole optimizer step. */
  weights: tf.Tensor1D;
  segmentIds?: tf.Tensor2D;
  positionIds?: tf.Tensor2D;
  tokens: number;
}

export function batchTensors(rows: Row[], normaliser: number): BatchTensors {
  const b = rows.length;
  const t = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new Int32Array(b * t);
  const targets = new Int32Array(b * t);
  const weights = new Float32Array(b * t);
  const packed = rows.some((r) => r.segmentIds);
  const segments = packed ? new Int32Array(b * t) : undefined;
  const positions = packed ? new Int32Array(b * t) : undefined;
  const scale = normaliser > 0 ? 1 / normaliser : 0;
  let tokens = 0;
  rows.forEach((row, r) => {
    tokens += row.ids.length;
    for (let j = 0; j < row.ids.length; j++) {
      const k = r * t + j;
      ids[k] = row.ids[j]!;
      targets[k] = row.targets[j]!;
      weights[k] = row.weights[j]! * scale;
      if (segments && positions) {
        segments[k] = row.segmentIds?.[j] ?? 1;
        positions[k] = row.positions?.[j] ?? j;
      }
    }
    // Padding (segment 0, position 0) is never a target and, in segment 0, never attended to by real tokens.
  });
  return {
    ids: tf.tensor2d(ids, [b, t], 'int32'),
    targets: tf.tensor1d(targets, 'int32'),
    weights: tf.tensor1d(weights, 'float32'),
    segmentIds: segments ? tf.tensor2d(segments, [b, t], 'int32') : undefined,
    positionIds: positions ? tf.tensor2d(positions, [b, t], 'int32') : undefined,
    tokens,
  };
}

export function disposeBatch(batch: BatchTensors): void {
  tf.dispose([batch.ids, batch.targets, batch.weights, ...(batch.segmentIds ? [batch.segmentIds] : []), ...(batch.positionIds ? [batch.positionIds] : [])]);
}

/** Σ_i w_i · CE_i over a micro-batch (weights already normalised): a scalar. */
export function weightedLoss(module: CausalLMModule, batch: BatchTensors, training: boolean, dropoutSeed?: number): tf.Scalar {
  const { logits } = module.forward(batch.ids, {
    training,
    segmentIds: batch.segmentIds,
    positionIds: batch.positionIds,
    dropoutSeed,
  });
  const [b, t, v] = logits.shape;
  const ce = tokenCrossEntropy(tf.reshape(logits, [b * t, v]) as tf.Tensor2D, batch.targets);
  return tf.sum(tf.mul(ce, batch.weights)) as tf.Scalar;
}

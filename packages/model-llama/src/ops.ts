/**
 * matMul and embedding wrappers whose gradients keep their inputs alive through `save` (engine-notes §2: on
 * wasm only NN matMuls are fast and Gather has no gradient kernel). Same contract as the runtime's
 * `matMul`/`embeddingLookup`, which at the time of writing read inputs captured by closure in their gradient
 * functions: tfjs disposes intermediate inputs after the forward pass, so their backward fails when the left
 * operand is not a variable. Move these into runtime-tfjs (engine/ops.ts) and delete this file once fixed there.
 */
import * as tf from '@tensorflow/tfjs-core';

function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [x.rank - 1, x.rank - 2];
  return tf.transpose(x, perm);
}

/** a @ b with NN kernels only; gradients dA = dy b^T, dB = a^T dy, also NN. */
const nnMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swapLastTwo(sb)), tf.matMul(swapLastTwo(sa), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** a @ b (b transposed on its last two axes when `transposeB`); a and b have equal rank and batch dims. */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeB = false): T {
  if (tf.getBackend() === 'tensorflow') return tf.matMul(a, b, false, transposeB) as unknown as T;
  return nnMatMul(a, transposeB ? swapLastTwo(b) : b) as T;
}

/** Gather rows of a [V, d] table; the gradient is scatterND (duplicate ids sum). */
const gatherRows = tf.customGrad(((table: tf.Tensor, ids: tf.Tensor, save: tf.GradSaveFunc) => {
  save([ids]);
  const [rows, width] = table.shape as [number, number];
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const flatIds = tf.reshape(saved[0]!, [-1, 1]);
      return [tf.scatterND(flatIds, tf.reshape(dy, [-1, width]), [rows, width]), tf.zerosLike(saved[0]!)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** table[ids] for int32 ids of any shape -> [...ids.shape, d]. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingLookup: ids must be int32, got ${ids.dtype}`);
  return gatherRows(table, ids);
}

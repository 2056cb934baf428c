/**
 * TensorFlow's own ops, called directly on the native engine (`@tensorflow/tfjs-node`, backend `tensorflow`) where
 * tfjs's composite of several kernels costs more than one TensorFlow op: tfjs-node runs any TensorFlow op by name
 * through its N-API binding (`executeSingleOutput` / `executeMultipleOutputs`), and represents a resource handle
 * (a TensorFlow variable) as a tfjs tensor of dtype 'string'. Only the runtime's engine code uses these.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-node's `NodeJSKernelBackend` used here. */
export interface NativeBackend {
  binding: {
    TF_ATTR_BOOL: number; TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_TYPE: number; TF_ATTR_STRING: number;
    TF_ATTR_SHAPE: number;
    TF_FLOAT: number; TF_INT32: number;
  };
  executeSingleOutput(name: string, attrs: NativeAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: NativeAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
}

/** One TensorFlow op attribute, as tfjs-node's binding takes it. */
export interface NativeAttr {
  name: string;
  type: number;
  value: unknown;
}

/** True when the current tfjs backend is native TensorFlow. */
export function isNativeEngine(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/** True when the current tfjs backend is native TensorFlow on the CPU (tfjs-node, or tfjs-node-gpu without a GPU):
 *  where the CPU-specific kernel choices below and in ./native-fused.ts apply. */
export function isNativeCpuEngine(): boolean {
  return isNativeEngine() && !(tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
}

/** The native backend (call only when `isNativeEngine()`). */
export function nativeBackend(): NativeBackend {
  if (!isNativeEngine()) throw new Error(`native TensorFlow op requested on the '${tf.getBackend()}' backend`);
  return tf.backend() as unknown as NativeBackend;
}

/** Attribute helpers: a dtype attribute, a bool, an int, a float, a string (or a list of strings: only with the
 *  patched binding, tools/scripts/tfjs-node-graph-functions.patch) and a shape. */
export const nativeAttr = {
  float32(native: NativeBackend, name: string): NativeAttr {
    return { name, type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_FLOAT };
  },
  int32(native: NativeBackend, name: string): NativeAttr {
    return { name, type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_INT32 };
  },
  bool(native: NativeBackend, name: string, value: boolean): NativeAttr {
    return { name, type: native.binding.TF_ATTR_BOOL, value };
  },
  int(native: NativeBackend, name: string, value: number): NativeAttr {
    return { name, type: native.binding.TF_ATTR_INT, value };
  },
  float(native: NativeBackend, name: string, value: number): NativeAttr {
    return { name, type: native.binding.TF_ATTR_FLOAT, value };
  },
  string(native: NativeBackend, name: string, value: string | string[]): NativeAttr {
    return { name, type: native.binding.TF_ATTR_STRING, value };
  },
  shape(native: NativeBackend, name: string, value: number[]): NativeAttr {
    return { name, type: native.binding.TF_ATTR_SHAPE, value };
  },
};

/**
 * Uniform float32 numbers in [0, 1) of `shape` from TensorFlow's counter-based Philox generator
 * (`StatelessRandomUniform`): the same (seed, shape) always gives the same numbers, drawn in C++ on all cores.
 * `seed` is a 32-bit integer, or an int32 tensor of one element; `stream` separates uses of the same seed.
 */
export function nativeStatelessUniform(shape: number[], seed: number | tf.Tensor, stream: number): tf.Tensor {
  const native = nativeBackend();
  return tf.tidy(() => {
    // A seed tensor (int32, one element) is joined to the stream in TensorFlow: it can be a graph function's input.
    const seedPair = typeof seed === 'number' ? tf.tensor1d([seed | 0, stream | 0], 'int32')
      : tf.concat([tf.reshape(seed, [1]), tf.tensor1d([stream | 0], 'int32')]);
    return native.executeSingleOutput('StatelessRandomUniform', [
      nativeAttr.float32(native, 'dtype'), nativeAttr.int32(native, 'T'), nativeAttr.int32(native, 'Tseed'),
    ], [tf.tensor1d(shape, 'int32'), seedPair]);
  });
}

/** Σ x² / 2 of a float32 tensor, a scalar: TensorFlow's `L2Loss`, one pass. */
export function nativeHalfSquaredNorm(x: tf.Tensor): tf.Scalar {
  const native = nativeBackend();
  return native.executeSingleOutput('L2Loss', [nativeAttr.float32(native, 'T')], [x]) as tf.Scalar;
}

/**
 * Rows `indices` [N] of `table` [V, d]: TensorFlow's `GatherV2` called directly. tfjs-node's gather kernel first
 * reads every index back to JS to check its range, a device-to-host read per call that also keeps a step from
 * being traced into a graph function (./native-function.ts); TensorFlow checks the range itself and fails with
 * "indices[i] = k is not in [0, V)".
 */
export function nativeGatherRows(table: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  const native = nativeBackend();
  return tf.tidy(() => native.executeSingleOutput('GatherV2', [
    { name: 'batch_dims', type: native.binding.TF_ATTR_INT, value: 0 },
    nativeAttr.float32(native, 'Tparams'), nativeAttr.int32(native, 'Tindices'), nativeAttr.int32(native, 'Taxis'),
  ], [table, indices, tf.scalar(0, 'int32')]));
}

/**
 * `condition ? a : b` element-wise with broadcasting of all three: TensorFlow's `SelectV2`, one kernel and one pass
 * over the output (tf.where on tfjs-node first broadcasts each operand to the full shape).
 */
export function nativeSelect(condition: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const native = nativeBackend();
  return native.executeSingleOutput('SelectV2', [nativeAttr.float32(native, 'T')], [condition, a, b]);
}

/** log softmax over the last axis of a 2-D float32 tensor: TensorFlow's `LogSoftmax`, one kernel for the
 *  (x − max) − log Σ exp(x − max) that tf.logSoftmax makes of five. */
export function nativeLogSoftmax(logits: tf.Tensor2D): tf.Tensor2D {
  const native = nativeBackend();
  return native.executeSingleOutput('LogSoftmax', [nativeAttr.float32(native, 'T')], [logits]) as tf.Tensor2D;
}

/**
 * op(a)·op(b) for batched operands whose product has ONE row per batch entry (a decoding step's attention: one query
 * against the cached keys): TensorFlow's `BatchMatMulV3`, whose Eigen CPU kernel takes ~20 µs at [1, 4, 1, 64]·[1, 4,
 * 64, 144] where `BatchMatMulV2` (which oneDNN takes over) takes ~60–230 µs. For many rows oneDNN's is far faster (the
 * scoring shapes: 0.17 against 1.0 ms), so only for one row, and only on the CPU (`isNativeCpuEngine`). No gradient.
 */
export function nativeBatchMatMulOneRow(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const native = nativeBackend();
  return native.executeSingleOutput('BatchMatMulV3', [
    nativeAttr.float32(native, 'Ta'), nativeAttr.float32(native, 'Tb'), nativeAttr.float32(native, 'Tout'),
    nativeAttr.bool(native, 'adj_x', transposeA), nativeAttr.bool(native, 'adj_y', transposeB),
  ], [a, b]);
}

/**
 * oneDNN's fused kernels in TensorFlow, for forward passes without a gradient (scoring, evaluation, generation's
 * prefill) on the native CPU engine:
 *  - `_MklLayerNorm`: a layer norm in one kernel (instead of nine: mean, centre, square, mean, add, rsqrt, two
 *    products and a sum);
 *  - `_MklNativeFusedMatMul` with `fused_ops` [BiasAdd] or [BiasAdd, GeluApproximate]: x·W + b, and GPT-2's
 *    `gelu_new` of it, in one kernel (instead of a product, a sum and nine element-wise kernels over [N, 4d]).
 * Measured on the 2-core dev VM (bench/README.md): a gpt-10m layer norm of [1216, 256] 3.4 → 1.3 ms, the MLP's
 * x·W + b and GELU at [1216, 256]·[256, 1024] 12.6 → 5.9 ms, at one decoding row 0.30 → 0.05 ms. The values are
 * those of the formulas within float32 rounding (~1e-6), not bit-identical: a training step's forward pass keeps
 * the op-by-op kernels that its hand-written gradients match.
 *
 * These are TensorFlow's internal ops: the fused product needs the list attribute `fused_ops`, which only the
 * patched binding can set (tools/scripts/tfjs-node-graph-functions.patch, revision 2); they exist only in CPU
 * builds with oneDNN. The first forward pass on the native engine tries each once on small inputs against the op-by-op
 * formula; what fails or disagrees stays off. `CLASS_IT_NATIVE_FUSED_OPS=0` switches them off.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isNativeCpuEngine, isNativeEngine, nativeAttr, nativeBackend, type NativeBackend } from './native.js';
import { isTracingGraph } from './native-trace.js';
import { kernelAgrees, probeValues } from './kernel-probe.js';

/** Which fused kernels passed the probe in this process. */
export interface NativeFusedOps {
  layerNorm: boolean;
  linear: boolean;
}

/** The op-by-op formulas (ops.ts) that the probe holds the fused kernels to. */
export interface FusedReference {
  layerNorm(x: tf.Tensor2D, w: tf.Tensor1D, b: tf.Tensor1D, epsilon: number): tf.Tensor2D;
  linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'none' | 'gelu_new'): tf.Tensor2D;
}

let available: NativeFusedOps | undefined;

/** The fused kernels that passed the probe (undefined before the first forward pass on the native engine). */
export function nativeFusedOps(): NativeFusedOps | undefined {
  return available && { ...available };
}

/**
 * True when `kind` may run fused now: the engine is native, no gradient is being recorded, no graph function is
 * being traced, and the kernel passed the probe (run once, on the first call on the native engine, against
 * `reference`). Inside a graph function (./native-function.ts) the plain kernels are faster: a gpt-10m decoding
 * step at batch 1 took 10.6–12.8 ms with the fused kernels in its function and 7.7–8.3 ms without (three
 * interleaved pairs of runs, bench/README.md).
 */
export function useNativeFused(kind: keyof NativeFusedOps, reference: FusedReference): boolean {
  if (!isNativeEngine() || tf.engine().isTapeOn() || isTracingGraph()) return false;
  available ??= probeNativeFusedOps(reference);
  return available[kind];
}

function kernelLabel(native: NativeBackend, label: string) {
  // oneDNN's kernels are registered under a label, which an eager op selects with the `_kernel` attribute.
  return nativeAttr.string(native, '_kernel', label);
}

/** Layer norm over the last axis of a 2-D x (biased variance), times `weight` plus `bias`: `_MklLayerNorm`. */
export function nativeLayerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  const native = nativeBackend();
  // Registered without a label; eager TensorFlow would otherwise ask for MklNameChangeOp's.
  return native.executeSingleOutput('_MklLayerNorm', [
    nativeAttr.float32(native, 'T'), nativeAttr.float(native, 'epsilon', epsilon), kernelLabel(native, ''),
  ], [x, weight, bias]) as tf.Tensor2D;
}

/** x [N, in] · w [in, out] + b [out], then GPT-2's `gelu_new` when `activation` is 'gelu_new'. */
export function nativeLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'none' | 'gelu_new'): tf.Tensor2D {
  const native = nativeBackend();
  return native.executeSingleOutput('_MklNativeFusedMatMul', [
    nativeAttr.float32(native, 'T'),
    nativeAttr.int(native, 'num_args', 1),
    nativeAttr.string(native, 'fused_ops', activation === 'gelu_new' ? ['BiasAdd', 'GeluApproximate'] : ['BiasAdd']),
    nativeAttr.bool(native, 'transpose_a', false),
    nativeAttr.bool(native, 'transpose_b', false),
    nativeAttr.float(native, 'epsilon', 0),
    nativeAttr.float(native, 'leakyrelu_alpha', 0.2),
    kernelLabel(native, 'MklNameChangeOp'),
  ], [x, w, b]) as tf.Tensor2D;
}

/**
 * Try each fused kernel once on small inputs against `reference` and keep those that run and agree within 1e-4.
 * Only on the native CPU engine (the kernels are oneDNN's), and not with CLASS_IT_NATIVE_FUSED_OPS=0.
 */
function probeNativeFusedOps(reference: FusedReference): NativeFusedOps {
  const none = { layerNorm: false, linear: false };
  if (process.env.CLASS_IT_NATIVE_FUSED_OPS === '0' || !isNativeCpuEngine()) return none;
  return tf.tidy(() => {
    const x = tf.tensor2d(probeValues(3 * 8, 2), [3, 8]);
    const w = tf.tensor2d(probeValues(8 * 5, 0.7), [8, 5]);
    const b5 = tf.tensor1d(probeValues(5, 0.3));
    const g8 = tf.tensor1d(probeValues(8, 1.1));
    const b8 = tf.tensor1d(probeValues(8, 0.4));
    return {
      layerNorm: kernelAgrees(() => nativeLayerNorm(x, g8, b8, 1e-5), () => reference.layerNorm(x, g8, b8, 1e-5), 1e-4),
      linear: kernelAgrees(() => nativeLinear(x, w, b5, 'gelu_new'), () => reference.linear(x, w, b5, 'gelu_new'), 1e-4)
        && kernelAgrees(() => nativeLinear(x, w, b5, 'none'), () => reference.linear(x, w, b5, 'none'), 1e-4),
    };
  });
}

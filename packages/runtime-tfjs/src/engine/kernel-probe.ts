/**
 * The one rule for engine kernels the runtime adopts on trust (oneDNN's fused kernels, the wasm backend's internals):
 * try the kernel once on small inputs against the plain formula, and keep it only where it runs and agrees.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Deterministic small test values for a probe: n numbers of magnitude up to `scale`. */
export function probeValues(n: number, scale: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + scale) * scale);
}

/** True when `candidate()` runs and its result is within `tolerance` of `reference()`'s everywhere. */
export function kernelAgrees(candidate: () => tf.Tensor, reference: () => tf.Tensor, tolerance: number): boolean {
  try {
    return tf.tidy(() => tf.max(tf.abs(tf.sub(candidate(), reference()))).dataSync()[0]! <= tolerance);
  } catch {
    return false; // not in this build (no oneDNN, an older libtensorflow, an unpatched binding, other wasm internals)
  }
}

/**
 * Op wrappers that make one model definition fast and differentiable on every backend
 * (measurements: shared/specs/engine-notes.md §2).
 *  - `matMul`: on wasm, BatchMatMul with transposed layouts is 10-40x slower than NN, and tf.matMul's own
 *    gradient uses them; so on wasm the forward and backward use only NN matMuls plus explicit transposes.
 *    Batched products on wasm run one XNNPACK GEMM per batch entry (./wasm-batched.ts).
 *    On native TensorFlow it is tf.matMul for batched products and TensorFlow's 2-D MatMul op for 2-D ones.
 *  - `embeddingLookup`: gather whose gradient is a scatterND (wasm has no UnsortedSegmentSum kernel).
 *  - `gelu`: GPT-2's `gelu_new` (tanh approximation), with x*x*x (pow is slow on wasm); `layerNorm`. Both have
 *    hand-written gradients (fewer kernels than tfjs's automatic ones).
 *  - `linear` (x·W + b, optionally then `gelu`) and `layerNorm`: on the native CPU engine, when no gradient is
 *    recorded (scoring, generation), one oneDNN kernel each (./native-fused.ts).
 *  - `dropout`: seeded, so a seed fixes every mask (on native TensorFlow, drawn by TensorFlow).
 *  - On wasm, where tfjs's kernels for them are single-threaded loops, three rewrites onto XNNPACK's kernels (threaded,
 *    ./wasm-threads.ts), the same math in other float32 roundings: sums over rows (`sumRows`, the gradients of biases
 *    and norm gains) as a product with a row of ones, `gelu`'s tanh through a sigmoid, and the cross-entropy's
 *    exponentials through a softmax (../training/loss.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmEngine } from './backend.js';
import { dropoutMask } from './dropout-mask.js';
import {
  isNativeCpuEngine, isNativeEngine, nativeAttr, nativeBackend, nativeBatchMatMulOneRow, nativeGatherRows,
  nativeStatelessUniform,
} from './native.js';
import { nativeLayerNorm, nativeLinear, useNativeFused, type FusedReference } from './native-fused.js';
import { useWasmBatched, wasmBatchedProduct } from './wasm-batched.js';

/** Swap the last two axes. */
export function swapLastTwo<T extends tf.Tensor>(x: T): T {
  const rank = x.rank;
  if (rank < 2) throw new Error(`swapLastTwo needs rank >= 2, got shape [${x.shape}]`);
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tf.transpose(x, perm) as T;
}

/** True when the current backend needs NN-only matMuls (everything but native TensorFlow). */
function useNNOnlyMatMul(): boolean {
  return !isNativeEngine();
}

/**
 * op(x) @ op(y) (op = optional transpose of the last two axes) with NN kernels only, by the cheaper of two
 * equal forms: transpose the operands that need it, or compute T(op(y)) @ T(op(x)) and transpose the result.
 * The count is elements moved by transposes (e.g. the tied LM head's dW = dy^T h: transposing dy [N, V] costs
 * far more than transposing h [N, d] and the [d, V] result).
 */
function nnProduct(x: tf.Tensor, tx: boolean, y: tf.Tensor, ty: boolean): tf.Tensor {
  return tf.tidy(() => {
    const m = x.shape[x.rank - (tx ? 1 : 2)];
    const n = y.shape[y.rank - (ty ? 2 : 1)];
    const resultSize = (x.size / (x.shape[x.rank - 1] * x.shape[x.rank - 2])) * m * n;
    const direct = (tx ? x.size : 0) + (ty ? y.size : 0);
    const flipped = (tx ? 0 : x.size) + (ty ? 0 : y.size) + resultSize;
    if (direct <= flipped) return plainProduct(tx ? swapLastTwo(x) : x, ty ? swapLastTwo(y) : y);
    return swapLastTwo(plainProduct(ty ? y : swapLastTwo(y), tx ? x : swapLastTwo(x)));
  });
}

/**
 * a·b without transposes. A batched product (attention's [B, H, T, dh] ones) on wasm is one XNNPACK GEMM per batch
 * entry (./wasm-batched.ts) when each entry has at least `WASM_BATCHED_MIN_ROWS` rows: tfjs-backend-wasm's own
 * batched kernel is a plain loop at ~1 GFLOP/s, but below ~5 rows (a decoding step's one query row) setting up the
 * GEMM costs more than that loop (measured: [32, 1, 64]·[32, 64, 144] 0.78 ms plain, 2.43 ms as GEMMs; 8 rows 4.8
 * against 2.5 ms; bench/README.md).
 */
const WASM_BATCHED_MIN_ROWS = 8;

function plainProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const rows = a.shape[a.rank - 2]!;
  if (a.rank > 2 && rows >= WASM_BATCHED_MIN_ROWS && a.size / (rows * a.shape[a.rank - 1]!) > 1 && useWasmBatched()) {
    return wasmBatchedProduct(a, b);
  }
  return tf.matMul(a, b);
}

/**
 * a·b with optional transposes of the last two axes. a and b have the same rank (2, 3 or 4) and equal batch
 * dims. Same numbers as tf.matMul on every backend; only the kernel layouts differ.
 */
/**
 * On native TensorFlow, tf.matMul always runs TensorFlow's BatchMatMulV2, whose oneDNN path is slow for plain 2-D
 * products: measured on the 2-core dev VM (best of 5), [1, 256]·[256, 768] (a decoding step) 0.131 ms against 0.032
 * ms with TensorFlow's 2-D MatMul op, the tied LM head [1, 256]·[16384, 256]ᵀ 1.54 against 0.91 ms, and GPT-2's MLP
 * [1024, 768]·[768, 3072] 74.6 ms against 34.0 ms (bench/README.md). So 2-D products are this kernel, which runs
 * MatMul with its transpose attributes, and its gradient is made of the same kernel.
 */
const NATIVE_MATMUL_2D = 'ClassItMatMul2D';

tf.registerKernel({
  kernelName: NATIVE_MATMUL_2D,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`matMul: float32 operands expected, got ${a.dtype} and ${b.dtype}`);
    const native = nativeBackend();
    return native.executeSingleOutput('MatMul', [
      nativeAttr.float32(native, 'T'), nativeAttr.bool(native, 'transpose_a', transposeA), nativeAttr.bool(native, 'transpose_b', transposeB),
    ], [a, b]);
  },
});

tf.registerGradient({
  kernelName: NATIVE_MATMUL_2D,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) =>
      tf.engine().runKernel(NATIVE_MATMUL_2D, { a: x, b: y }, { transposeA: tx, transposeB: ty }) as tf.Tensor;
    const g = dy as tf.Tensor2D;
    // y = op(a)·op(b), as tf.matMul's own gradient
    if (!transposeA && !transposeB) return { a: () => mm(g, b, false, true), b: () => mm(a, g, true, false) };
    if (!transposeA && transposeB) return { a: () => mm(g, b, false, false), b: () => mm(g, a, true, false) };
    if (transposeA && !transposeB) return { a: () => mm(b, g, false, true), b: () => mm(a, g, false, false) };
    return { a: () => mm(b, g, true, true), b: () => mm(g, a, true, true) };
  },
});

export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeA = false, transposeB = false): T {
  if (!useNNOnlyMatMul()) {
    // Native TensorFlow: a 2-D product is TensorFlow's own MatMul op (see `NATIVE_MATMUL_2D`), batched ones tf.matMul,
    // except a product of one row per batch entry without a gradient (`nativeBatchMatMulOneRow`).
    if (a.rank === 2 && b.rank === 2) return tf.engine().runKernel(NATIVE_MATMUL_2D, { a, b }, { transposeA, transposeB }) as unknown as T;
    const rowsOfA = a.shape[a.rank - (transposeA ? 1 : 2)];
    if (rowsOfA === 1 && a.dtype === 'float32' && b.dtype === 'float32' && !tf.engine().isTapeOn() && isNativeCpuEngine()) {
      return nativeBatchMatMulOneRow(a, b, transposeA, transposeB) as unknown as T; // a decoding step's attention
    }
    return tf.matMul(a as tf.Tensor, b, transposeA, transposeB) as unknown as T;
  }
  if (a.rank !== b.rank) {
    throw new Error(`matMul: operands must have the same rank, got [${a.shape}] and [${b.shape}]`);
  }
  // Tensors the gradient needs go through `save` (tfjs keeps a clone): a closure over x or w would read
  // tensors that an enclosing tf.tidy has already disposed by the time the backward pass runs.
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, w]);
    const value = nnProduct(x, transposeA, w, transposeB);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sw] = saved;
      // y = op(a) op(b): d op(a) = dy op(b)^T and d op(b) = op(a)^T dy; undo op for a transposed input.
      const da = transposeA ? nnProduct(sw, transposeB, dy, true) : nnProduct(dy, false, sw, !transposeB);
      const db = transposeB ? nnProduct(dy, true, sx, transposeA) : nnProduct(sx, !transposeA, dy, false);
      return [da, db];
    };
    return { value, gradFunc };
  });
  return product(a, b) as unknown as T;
}

/**
 * Rows of `table` [V, d] for integer `ids` of any shape; result shape [...ids.shape, d]. The gradient w.r.t.
 * the table is scatterND of dy at the ids (duplicate ids sum), which every backend has.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingLookup: ids must be int32, got ${ids.dtype}`);
  const [vocab, dim] = table.shape;
  const flatIds = tf.reshape(ids, [-1]) as tf.Tensor1D;
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([flatIds]);
    const value = isNativeEngine() && t.dtype === 'float32' ? nativeGatherRows(t, flatIds) : tf.gather(t, flatIds);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      tf.scatterND(tf.reshape(saved[0], [-1, 1]), tf.reshape(dy, [-1, dim]), [vocab, dim]);
    return { value, gradFunc };
  });
  const rows = lookup(table);
  return tf.reshape(rows, [...ids.shape, dim]);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * GPT-2 `gelu_new`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), with a hand-written gradient
 *   d/dx = 0.5 s (1 + x (2 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)),  s = 1 + tanh(...)  (so 1 - tanh^2 = s (2 - s)):
 * ten element-wise kernels on [N, 4d] instead of the ~17 tfjs's automatic gradient of the forward ops runs.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { value, onePlus } = geluForward(input);
    save([input, onePlus]);
    onePlus.dispose(); // the tape keeps its own clone when there is a backward pass
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => tf.tidy(() => {
      const [sx, s] = saved as [tf.Tensor, tf.Tensor];
      const slope = tf.add(tf.mul(tf.square(sx), 3 * GELU_CUBIC * SQRT_2_OVER_PI), SQRT_2_OVER_PI); // u'(x)
      const tanhSlope = tf.mul(tf.sub(2, s), slope); // (1 - tanh^2) u'(x) / s
      const inner = tf.add(tf.mul(sx, tanhSlope), 1);
      return tf.mul(dy, tf.mul(tf.mul(s, 0.5), inner));
    });
    return { value, gradFunc };
  });
  return op(x) as T;
}

/** The forward ops of `gelu` (kept in this order: the values are those of the formula above, op by op), and
 *  s = 1 + tanh(...) for the gradient. On wasm, 1 + tanh(u) is computed as 2 sigmoid(2u), the same value in
 *  another rounding: tfjs's wasm Tanh is a scalar loop (21 ms for [1024, 1024] on the 2-vCPU VM), its Sigmoid
 *  XNNPACK's (3.8 ms). */
function geluForward(x: tf.Tensor): { value: tf.Tensor; onePlus: tf.Tensor } {
  // Each temporary goes as soon as the next op has read it: without a backward pass (scoring) at most three
  // [N, 4d] buffers are alive instead of nine.
  const square = tf.mul(x, x);
  const cube = consume(tf.mul(square, x), square);
  const scaled = consume(tf.mul(cube, GELU_CUBIC), cube);
  const sum = consume(tf.add(x, scaled), scaled);
  if (isWasmEngine()) {
    const doubled = consume(tf.mul(sum, 2 * SQRT_2_OVER_PI), sum);
    const sigmoid = consume(tf.sigmoid(doubled), doubled);
    return { value: tf.mul(x, sigmoid), onePlus: consume(tf.mul(sigmoid, 2), sigmoid) };
  }
  const inner = consume(tf.mul(sum, SQRT_2_OVER_PI), sum);
  const tanh = consume(tf.tanh(inner), inner);
  const onePlus = consume(tf.add(tanh, 1), tanh);
  const half = tf.mul(x, 0.5);
  return { value: consume(tf.mul(half, onePlus), half), onePlus };
}

/**
 * Σ over the rows of x [N, d] -> [d]: the gradient of a bias or of a norm's gain. On wasm it is ones[1, N]·x on
 * XNNPACK: tfjs's wasm Sum over a leading axis transposes x and then reduces in a scalar loop (2.1 ms for
 * [1024, 256], 8.5 ms for [1024, 1024] on the 2-vCPU VM, against 0.1-0.9 ms). Elsewhere tf.sum.
 */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  if (!isWasmEngine()) return tf.sum(x, 0);
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]));
}

/** x [N, d] + bias [d]; on wasm the bias's gradient is `sumRows` (tf.add's own reduces with tf.sum). */
function addBias(x: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (!isWasmEngine()) return tf.add(x, bias);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, b] = args as [tf.Tensor2D, tf.Tensor1D];
    return { value: tf.add(input, b), gradFunc: (dy: tf.Tensor) => [tf.clone(dy), sumRows(dy as tf.Tensor2D)] };
  });
  return op(x, bias) as tf.Tensor2D;
}

/** `result`, after disposing the temporaries it was computed from. */
function consume<T extends tf.Tensor>(result: T, ...used: tf.Tensor[]): T {
  tf.dispose(used);
  return result;
}

/**
 * Layer norm over the last axis (biased variance, as torch.nn.LayerNorm), with a hand-written gradient: with
 * x̂ = (x - mean) * r, r = 1 / sqrt(var + eps) and g = dy * weight,
 *   dx = r (g - mean(g) - x̂ mean(g x̂)),  dweight = Σ dy x̂,  dbias = Σ dy  (sums over every axis but the last)
 * (eleven kernels instead of the ~30 of tfjs's automatic gradient of the forward ops).
 */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): T {
  if (useNativeFused('layerNorm', FUSED_REFERENCE)) {
    if (x.rank === 2) return nativeLayerNorm(x as unknown as tf.Tensor2D, weight, bias, epsilon) as unknown as T;
    const width = x.shape[x.rank - 1]!;
    return tf.tidy(() => tf.reshape(nativeLayerNorm(tf.reshape(x, [-1, width]), weight, bias, epsilon), x.shape)) as T;
  }
  return layerNormOpByOp(x, weight, bias, epsilon);
}

function layerNormOpByOp<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, w, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const axis = input.rank - 1;
    const [normed, rstd] = tf.tidy(() => {
      const mean = tf.mean(input, axis, true);
      const centred = tf.sub(input, mean);
      const variance = tf.mean(tf.mul(centred, centred), axis, true);
      const r = tf.rsqrt(tf.add(variance, epsilon));
      return [tf.mul(centred, r), r];
    });
    const value = tf.add(tf.mul(normed, w), b);
    save([normed, rstd, w]);
    tf.dispose([normed, rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => tf.tidy(() => {
      const [xHat, r, sw] = saved as [tf.Tensor, tf.Tensor, tf.Tensor1D];
      const width = xHat.shape[axis]!;
      const rowsOf = (t: tf.Tensor) => tf.reshape(t, [-1, width]);
      const dWeight = sumRows(rowsOf(tf.mul(dy, xHat)) as tf.Tensor2D);
      const dBias = sumRows(rowsOf(dy) as tf.Tensor2D);
      const g = tf.mul(dy, sw);
      const centredG = tf.sub(g, tf.mean(g, axis, true));
      const dx = tf.mul(tf.sub(centredG, tf.mul(xHat, tf.mean(tf.mul(g, xHat), axis, true))), r);
      return [dx, dWeight, dBias];
    });
    return { value, gradFunc };
  });
  return op(x, weight, bias) as T;
}

/**
 * A dense layer: x [N, in] · weight [in, out] + bias [out], then GPT-2's `gelu_new` when `activation` is 'gelu_new'.
 * The same kernels as `matMul`, `tf.add` and `gelu`, except on the native CPU engine without a gradient, where it
 * is one oneDNN kernel (the values within float32 rounding of these).
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, activation: 'none' | 'gelu_new' = 'none'): tf.Tensor2D {
  if (useNativeFused('linear', FUSED_REFERENCE)) return nativeLinear(x, weight, bias, activation);
  return linearOpByOp(x, weight, bias, activation);
}

function linearOpByOp(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, activation: 'none' | 'gelu_new'): tf.Tensor2D {
  const affine = addBias(matMul(x, weight), bias);
  return activation === 'none' ? affine : gelu(affine);
}

/** The op-by-op forms the fused kernels are checked against before their first use. */
const FUSED_REFERENCE: FusedReference = { layerNorm: layerNormOpByOp, linear: linearOpByOp };

/**
 * Inverted dropout with a seeded mask: rate 0 or no training returns x unchanged; a seed fixes the mask on each
 * engine; no seed draws a random one.
 *  - WASM and CPU: the mask is drawn in JS from the stream tf.randomUniform would draw (dropout-mask.ts), so a seed
 *    gives bit-identical masks on both.
 *  - Native TensorFlow: from TensorFlow's stateless Philox generator (`nativeStatelessUniform`), drawn in C++. The
 *    JS stream costs ~14 ns an element (gpt2-100m draws ~38 M numbers a training step: half a second), so the
 *    native engine draws its own masks; the same seed gives the same mask there, not the WASM one (training on the
 *    two engines already differs in float32 rounding).
 *    Inside `withDropoutSeed(seed, ...)` (the trainer's steps), the k-th dropout call of the scope draws from
 *    (seed, k) instead, `seed` being an int32 tensor: a training step is then the same graph at every step, with
 *    the seed as its input (./native-function.ts), and it draws the same masks whether it runs as a graph
 *    function or op by op.
 * Either way an element is kept when its uniform number u (float32) satisfies u >= rate, and kept elements are
 * scaled by 1 / (1 - rate) (float32).
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number | undefined, training: boolean): T {
  if (!training || rate <= 0) return x;
  if (rate >= 1) throw new Error(`dropout rate must be < 1, got ${rate}`);
  return tf.tidy(() => tf.mul(x, dropoutMaskTensor(x.shape, rate, seed)) as T);
}

/** Stream id of dropout's draws from the native generator (its second seed word). */
const DROPOUT_STREAM = 0x0d509;

/** The seed tensor of the current `withDropoutSeed` scope and the number of dropout calls made in it. */
let seedScope: { seed: tf.Tensor; calls: number } | undefined;

/**
 * Run `fn` with native dropout masks drawn from (`seed`, k) for its k-th dropout call (see `dropout`); `seed` is an
 * int32 scalar tensor. WASM and CPU keep the numeric seed each call gets.
 */
export function withDropoutSeed<T>(seed: tf.Tensor, fn: () => T): T {
  const outer = seedScope;
  seedScope = { seed, calls: 0 };
  try {
    return fn();
  } finally {
    seedScope = outer;
  }
}

function dropoutMaskTensor(shape: number[], rate: number, seed: number | undefined): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!isNativeEngine()) return tf.tensor(dropoutMask(size, rate, seed ?? Math.random()), shape, 'float32');
  const uniform = seedScope
    ? nativeStatelessUniform(shape, seedScope.seed, DROPOUT_STREAM + seedScope.calls++)
    : nativeStatelessUniform(shape, seed ?? Math.floor(Math.random() * 2 ** 32), DROPOUT_STREAM);
  return tf.mul(tf.cast(tf.greaterEqual(uniform, Math.fround(rate)), 'float32'), Math.fround(1 / (1 - rate)));
}

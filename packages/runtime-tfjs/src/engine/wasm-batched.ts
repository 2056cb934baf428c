/**
 * Batched products on the wasm backend, one XNNPACK GEMM per batch entry.
 *
 * tfjs-backend-wasm 4.22 runs BatchMatMul through XNNPACK only when the batch is 1; any larger batch (attention's
 * [B, H, T, dh] products) goes to a plain blocked loop at ~1 GFLOP/s. This kernel runs the same XNNPACK path once per
 * batch entry, on views of the operands' memory: each entry's rows of a and b and of the output are registered with
 * the backend under a temporary tensor id pointing into the batched buffers, so nothing is copied. Measured on the
 * 2-core dev VM (bench/README.md): [32, 128, 64]·[32, 64, 128] 41–64 ms → 6–9 ms, 6–9× faster.
 *
 * It reads the wasm backend's internals (its heap offsets, `registerTensor`, `disposeData` and the module's
 * `BatchMatMul` export), which tfjs-backend-wasm does not promise to keep. So the first batched product on wasm
 * probes this kernel against tf.matMul on small inputs and keeps it only where it runs and agrees;
 * `CLASS_IT_WASM_BATCHED_MATMUL=0` switches it off. Each entry's result is computed alone, so it does not depend on
 * the batch it came in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmEngine } from './backend.js';
import { kernelAgrees, probeValues } from './kernel-probe.js';

const KERNEL = 'ClassItWasmBatchedMatMul';

/** The parts of tfjs-backend-wasm's `BackendWasm` (4.22) this kernel uses. */
interface WasmBackendInternals {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface WasmModule {
  cwrap(name: string, returns: null, args: string[]): WasmBatchMatMul;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/** The module's `BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a, transpose_b, out_id)`. */
type WasmBatchMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number,
  transposeA: number, transposeB: number, outId: number) => void;

const batchMatMulOf = new WeakMap<WasmModule, WasmBatchMatMul>();

tf.registerKernel({
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const internals = backend as unknown as WasmBackendInternals;
    const { wasm } = internals;
    let batchMatMul = batchMatMulOf.get(wasm);
    if (!batchMatMul) {
      batchMatMul = wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
      batchMatMulOf.set(wasm, batchMatMul);
    }
    const [m, k] = a.shape.slice(-2) as [number, number];
    const n = b.shape[b.shape.length - 1]!;
    const batch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const out = internals.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
    const offsetOf = (t: tf.TensorInfo) => internals.dataIdMap.get(t.dataId)!.memoryOffset;
    const [aOffset, bOffset, outOffset] = [offsetOf(a), offsetOf(b), offsetOf(out)];
    const shapeBytes = (rows: number, cols: number) => new Uint8Array(new Int32Array([1, rows, cols]).buffer);
    const aShape = shapeBytes(m, k);
    const bShape = shapeBytes(k, n);
    const view = (offset: number, size: number): number => {
      const id = internals.dataIdNextNumber++;
      wasm.tfjs.registerTensor(id, size, offset);
      return id;
    };
    for (let i = 0; i < batch; i++) {
      const ids = [view(aOffset + 4 * i * m * k, m * k), view(bOffset + 4 * i * k * n, k * n), view(outOffset + 4 * i * m * n, m * n)] as const;
      try {
        batchMatMul(ids[0], aShape, 3, ids[1], bShape, 3, 0, 0, ids[2]);
      } finally {
        // Unregistering a view frees no memory (the batched tensors own it) and drops the XNNPACK operator cached on it.
        for (const id of ids) wasm.tfjs.disposeData(id);
      }
    }
    return out;
  },
});

let available: boolean | undefined;

/**
 * True when a batched product should run as `wasmBatchedProduct`: the backend is wasm and the kernel passed its probe
 * (run once, on the first call on wasm).
 */
export function useWasmBatched(): boolean {
  if (!isWasmEngine()) return false;
  available ??= probeWasmBatched();
  return available;
}

/** Whether the wasm batched kernel passed its probe (undefined before the first batched product on wasm). */
export function wasmBatchedMatMulAvailable(): boolean | undefined {
  return available;
}

/**
 * a [..., m, k] · b [..., k, n] on the wasm backend, no transposes, equal batch dimensions, float32. Use where no
 * gradient is recorded through it (ops.ts calls it inside `matMul`'s custom gradient).
 */
export function wasmBatchedProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank < 3 || a.rank !== b.rank || a.dtype !== 'float32' || b.dtype !== 'float32'
    || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i]) || a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`wasmBatchedProduct: float32 [..., m, k]·[..., k, n] with equal batch dims expected, got [${a.shape}] ${a.dtype} and [${b.shape}] ${b.dtype}`);
  }
  if (a.size === 0 || b.size === 0) return tf.matMul(a, b);
  return tf.engine().runKernel(KERNEL, { a, b }, {}) as tf.Tensor;
}

function probeWasmBatched(): boolean {
  if (process.env.CLASS_IT_WASM_BATCHED_MATMUL === '0') return false;
  return tf.tidy(() => {
    const a = tf.tensor4d(probeValues(2 * 3 * 5 * 7, 1.5), [2, 3, 5, 7]);
    const b = tf.tensor4d(probeValues(2 * 3 * 7 * 4, 0.8), [2, 3, 7, 4]);
    return kernelAgrees(() => wasmBatchedProduct(a, b), () => tf.matMul(a, b), 1e-5);
  });
}

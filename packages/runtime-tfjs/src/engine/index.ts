export * from './backend.js';
export * from './ops.js';
export { NativeFunction, nativeFunctionStats, nativeFunctionsAvailable } from './native-function.js';
export { nativeFusedOps, type NativeFusedOps } from './native-fused.js';
export { wasmBatchedMatMulAvailable } from './wasm-batched.js';
export { MAX_WASM_THREADS, wasmThreading, wasmThreadsWanted, type WasmThreading } from './wasm-threads.js';

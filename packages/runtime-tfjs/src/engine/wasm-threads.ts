/**
 * The wasm backend on more than one core in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build, where XNNPACK runs its products and many element-wise ops on a
 * thread pool. In Node it always loads the single-threaded build, for two reasons (engine-notes.md):
 * - its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-coded to false in Node (tfjs issue 3830);
 * - forced on, start-up fails: it hands Emscripten the pthread worker script as a `blob:` URL, and Node's
 *   `worker_threads` only start files.
 * Its C++ side also caps the pool at half of `emscripten_num_logical_cores()` (it assumes two hyper-threads a
 * core), so on a 2-vCPU machine the pool would have one thread anyway.
 *
 * This module replaces the `wasm` backend's factory with one that loads the threaded build itself:
 * - the worker script is written to a private temporary folder, and Emscripten gets its path; the folder is removed
 *   as soon as the module is ready (by then every worker has loaded the script);
 * - the wasm is instantiated by us, with `emscripten_num_logical_cores` answering twice the threads wanted, so the
 *   cap lets them through;
 * - the backend object is tfjs-backend-wasm's own `BackendWasm`, so every registered wasm kernel (ours included)
 *   runs as before.
 * Threads: `CLASS_IT_WASM_THREADS` (1 keeps tfjs's single-threaded build), else the cores Node reports, at most
 * `MAX_WASM_THREADS` (the build's pool of 8 pre-started workers). XNNPACK splits a product by output tiles, and
 * each output element is summed in the same order on any thread, so results do not depend on the thread count
 * (tested). If the threaded build fails to start, the stock single-threaded one starts instead, and
 * `wasmThreading()` says why.
 */
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/** The two calls of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The threaded build's pool of pthread workers, started with the module (`pthreadPoolSize` in its script). */
export const MAX_WASM_THREADS = 8;

export interface WasmThreading {
  /** Threads XNNPACK's pool runs on (1: single-threaded). */
  threads: number;
  /** Which build runs: `threaded-simd` (this module's) or tfjs's own choice (`simd`). */
  build: 'threaded-simd' | 'simd';
  /** Why the threaded build is not in use, when it is not. */
  reason?: string;
}

let threading: WasmThreading | undefined;

/** How the running wasm backend is threaded (undefined before it started). */
export function wasmThreading(): WasmThreading | undefined {
  return tf.engine().registry.wasm ? threading : undefined;
}

/** Threads wanted: `CLASS_IT_WASM_THREADS` when set (a whole number ≥ 1), else the cores, at most 8. */
export function wasmThreadsWanted(env: NodeJS.ProcessEnv = process.env): number {
  const setting = env.CLASS_IT_WASM_THREADS;
  if (setting !== undefined && setting !== '') {
    const n = Number(setting);
    if (!Number.isInteger(n) || n < 1) throw new Error(`CLASS_IT_WASM_THREADS must be a whole number ≥ 1, got '${setting}'`);
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.min(availableParallelism(), MAX_WASM_THREADS);
}

interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: unknown[]) => unknown;
  PThread: { unusedWorkers: Array<{ terminate(): void }>; runningWorkers: Array<{ unref(): void }> };
  tfjs?: unknown;
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** The threaded build's files, next to tfjs-backend-wasm's main script. */
function threadedBuild(): { script: string; binary: string; workerScript: string; folder: string } {
  const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // A private folder (mode 0700): the file is executed, so it must not be one another user could have planted.
  const folder = mkdtempSync(path.join(tmpdir(), 'class-it-wasm-'));
  const workerScript = path.join(folder, 'pthread-worker.cjs');
  // tfjs keeps the script as a string with its `\n` escapes unescaped; it re-escapes them the same way (backend_wasm.js).
  writeFileSync(workerScript, wasmWorkerContents.replace(/\n/g, '\\n'));
  return {
    script: path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js'),
    binary: path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm'),
    workerScript,
    folder,
  };
}

async function startThreaded(threads: number): Promise<tf.KernelBackend> {
  const { script, binary, workerScript, folder } = threadedBuild();
  try {
    return await startModule(threads, script, binary, workerScript);
  } finally {
    // The module resolves once all its pre-started workers have loaded the script; no worker is started later (the
    // pool's threads are at most the pre-started workers). Removed now, it is not left behind by a killed process.
    rmSync(folder, { recursive: true, force: true });
  }
}

async function startModule(threads: number, script: string, binary: string, workerScript: string): Promise<tf.KernelBackend> {
  const factory = require(script) as ModuleFactory;
  const compiled = await webAssembly.compile(readFileSync(binary));
  let failInstantiation: (error: unknown) => void = () => {};
  const instantiationFailed = new Promise<never>((_, reject) => { failInstantiation = reject; });
  const module = await Promise.race([instantiationFailed, factory({
    locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerScript : file.endsWith('.wasm') ? binary : prefix + file),
    // The workers read the module's script from this path (they would get a blob URL from tfjs).
    mainScriptUrlOrBlob: script,
    instantiateWasm: (imports: { env: Record<string, unknown> }, receive: (instance: object, module: object) => void) => {
      // The C++ side caps its pool at half the logical cores (see the file comment).
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      webAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled), failInstantiation);
      return {};
    },
  })]);
  // The same wrappers as tfjs-backend-wasm's own `init` (backend_wasm.js), which BackendWasm and the kernels call.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // The pool took the workers it needs; the build starts 8, each an isolate of its own. Free the rest.
  for (const worker of module.PThread.unusedWorkers.splice(0)) worker.terminate();
  // Emscripten refs a worker while it runs a thread, and the pool's threads run until the process ends: unref them,
  // or Node would never exit on its own.
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

/**
 * Make the `wasm` backend start on `threads` threads (see the file comment), before it is first initialised.
 * With 1 thread, or once the backend has started, nothing changes.
 */
export function useThreadedWasm(threads = wasmThreadsWanted()): void {
  const engine = tf.engine();
  if (engine.registry.wasm || !engine.registryFactory.wasm) return;
  if (threads <= 1) {
    threading = { threads: 1, build: 'simd', reason: 'one thread asked for (CLASS_IT_WASM_THREADS or one core)' };
    return;
  }
  const { factory: stock, priority } = engine.registryFactory.wasm;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    try {
      const backend = await startThreaded(threads);
      threading = { threads: getThreadsCount(), build: 'threaded-simd' };
      return backend;
    } catch (error) {
      const backend = await stock();
      threading = { threads: 1, build: 'simd', reason: `the threaded build did not start: ${String(error instanceof Error ? error.message : error).split('\n')[0]}` };
      return backend;
    }
  }, priority);
}

/**
 * Engine (backend) selection. One model definition runs on every tfjs backend; at start-up we pick the fastest
 * that loads:
 *   1. `@tensorflow/tfjs-node-gpu`  (native TensorFlow with CUDA; backend name `tensorflow`)
 *   2. `@tensorflow/tfjs-node`      (native TensorFlow CPU; backend name `tensorflow`; `npm run setup:native`)
 *   3. `@tensorflow/tfjs-backend-wasm` (the embedded default: pure npm, always installs; SIMD, on every core through
 *      its threaded build: ./wasm-threads.ts)
 *   4. `cpu` (plain JS, ~1 GFLOP/s) only when asked for explicitly.
 * The native packages are optional: they are NOT dependencies (a plain `npm ci` must succeed where their
 * native binary cannot be installed) and are loaded with a dynamic import.
 *
 * One tfjs-core: tfjs-node requires `@tensorflow/tfjs`, which requires `@tensorflow/tfjs-core`. npm hoists that
 * to the same root `node_modules/@tensorflow/tfjs-core` (4.22.0) we import, and tfjs-core keeps its engine and
 * kernel registry on the global object anyway, so the `tensorflow` backend registered by tfjs-node is the one
 * our `tf.setBackend` sees. `initEngine` checks that the backend really became active.
 */
import * as tf from '@tensorflow/tfjs-core';
// The Node build of @tensorflow/tfjs-core registers no gradient functions and no tensor methods (`x.reshape()`):
// tfjs-core's own registrations, bundled into one module by tools/scripts/vendor-tfjs-core.mjs (the
// @tensorflow/tfjs union package registers them too, but brings layers, converter, data and webgl). Every module
// that differentiates imports this file.
import './tfjs-registrations.generated.js';
// ...and the types of those tensor methods (the module augmentations of tfjs-core's chained ops)
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { useThreadedWasm, wasmThreading } from './wasm-threads.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'tensorflow-gpu' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tensorflow', 'tensorflow-gpu', 'wasm', 'cpu'];

export interface EngineInfo {
  /** tfjs backend name: `tensorflow`, `wasm` or `cpu`. */
  backend: string;
  /** Where it came from, e.g. `@tensorflow/tfjs-node`, `@tensorflow/tfjs-backend-wasm`. */
  provider: string;
  /** Why faster candidates were skipped (empty when the first candidate loaded). */
  skipped: string[];
  /** The choice passed to `initEngine`. */
  choice: string;
  /** On wasm: the threads XNNPACK runs on, and why only one where the threaded build did not start. */
  wasmThreads?: number;
  wasmThreadsNote?: string;
}

let engineInfo: EngineInfo | undefined;

/** How to get a native backend that did not load (README: "Native TensorFlow CPU backend" and "GPU"). */
const NATIVE_INSTALL_HINTS: Record<string, string> = {
  tensorflow: 'install it beside class-it: npm install @tensorflow/tfjs-node@4.22.0; in the class-it repository: npm run setup:native',
  'tensorflow-gpu': 'install it beside class-it: npm install @tensorflow/tfjs-node-gpu@4.22.0, which needs Linux with an NVIDIA driver >450, ' +
    'CUDA 11.2 and cuDNN 8.1 (see the GPU section of the @class-it/runtime-tfjs README)',
};

/** Import an optional package by name; the variable specifier keeps TypeScript from requiring its types. */
async function importOptional(specifier: string): Promise<void> {
  await import(specifier);
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<string | undefined> {
  if (!process.env.TF_CPP_MIN_LOG_LEVEL) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
  try {
    await importOptional(pkg);
  } catch (err) {
    return `${pkg}: ${firstLine(err)}`;
  }
  if (!('tensorflow' in tf.engine().registryFactory)) {
    return `${pkg}: loaded, but it registered no 'tensorflow' backend with this @tensorflow/tfjs-core (two tfjs-core copies?)`;
  }
  const ok = await tf.setBackend('tensorflow');
  return ok ? undefined : `${pkg}: the 'tensorflow' backend failed to initialise`;
}

async function trySimple(name: 'wasm' | 'cpu'): Promise<string | undefined> {
  try {
    if (name === 'wasm') useThreadedWasm();
    const ok = await tf.setBackend(name);
    return ok ? undefined : `${name}: backend failed to initialise`;
  } catch (err) {
    return `${name}: ${firstLine(err)}`;
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

/**
 * Initialise the tensor engine and return the tfjs backend name chosen (`tensorflow`, `wasm` or `cpu`).
 * `auto` tries tfjs-node-gpu, tfjs-node, then wasm. A named backend that cannot load is an error.
 */
export async function initEngine(choice: BackendChoice | string = 'auto'): Promise<string> {
  const candidates: Array<[string, () => Promise<string | undefined>]> = [];
  switch (choice) {
    case 'auto':
      candidates.push(['@tensorflow/tfjs-node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')]);
      candidates.push(['@tensorflow/tfjs-node', () => tryNative('@tensorflow/tfjs-node')]);
      candidates.push(['@tensorflow/tfjs-backend-wasm', () => trySimple('wasm')]);
      break;
    case 'tensorflow-gpu':
      candidates.push(['@tensorflow/tfjs-node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')]);
      break;
    case 'tensorflow':
      candidates.push(['@tensorflow/tfjs-node-gpu', () => tryNative('@tensorflow/tfjs-node-gpu')]);
      candidates.push(['@tensorflow/tfjs-node', () => tryNative('@tensorflow/tfjs-node')]);
      break;
    case 'wasm':
      candidates.push(['@tensorflow/tfjs-backend-wasm', () => trySimple('wasm')]);
      break;
    case 'cpu':
      candidates.push(['@tensorflow/tfjs-backend-cpu', () => trySimple('cpu')]);
      break;
    default:
      throw new Error(`unknown backend '${choice}'; expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  // Already running what this choice picked, or any engine when the choice is `auto` (an earlier, explicit choice
  // stands): nothing to do. initEngine is called by several entry points of one job.
  if (engineInfo && (engineInfo.choice === choice || choice === 'auto') && tf.getBackend() === engineInfo.backend) {
    return engineInfo.backend;
  }
  const skipped: string[] = [];
  for (const [provider, attempt] of candidates) {
    const failure = await attempt();
    if (failure === undefined) {
      await tf.ready();
      engineInfo = { backend: tf.getBackend(), provider, skipped, choice };
      const threading = engineInfo.backend === 'wasm' ? wasmThreading() : undefined;
      if (threading) {
        engineInfo.wasmThreads = threading.threads;
        if (threading.reason) engineInfo.wasmThreadsNote = threading.reason;
      }
      // The cpu backend's one-time "install tfjs-node" banner is noise when cpu was asked for on purpose.
      if (engineInfo.backend === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      return engineInfo.backend;
    }
    skipped.push(failure);
  }
  const hint = NATIVE_INSTALL_HINTS[choice] ? ` (${NATIVE_INSTALL_HINTS[choice]})` : '';
  // One reason fits the error's first line (what the CLI prints without --verbose); several get a line each.
  const reasons = skipped.length === 1 ? ` ${skipped[0]}` : `\n  ${skipped.join('\n  ')}`;
  throw new Error(`backend '${choice}' could not be loaded${hint}:${reasons}`);
}

/**
 * Start the default engine (`auto`) unless one is already running: what an architecture plugin calls before it
 * builds tensors, so an application's earlier explicit choice (`initEngine('wasm')`) stands.
 */
export async function ensureEngine(): Promise<void> {
  if (!engineDetails()) await initEngine('auto');
}

/** The tfjs backend in use (`tensorflow`, `wasm`, `cpu`), initialising nothing. */
export function currentBackend(): string {
  return tf.getBackend();
}

/** True when the current tfjs backend is wasm (the native engine's test is `isNativeEngine` in ./native.ts). */
export function isWasmEngine(): boolean {
  return tf.getBackend() === 'wasm';
}

/** How the current engine was chosen (undefined before `initEngine`). */
export function engineDetails(): EngineInfo | undefined {
  return engineInfo && engineInfo.backend === tf.getBackend() ? engineInfo : undefined;
}

/**
 * Graph functions on the native engine: run a piece of tfjs code that is called again and again with tensors of the
 * same shapes (a decoding step, a training micro-batch) as ONE TensorFlow op instead of hundreds. tfjs-node runs
 * every kernel as its own TensorFlow eager op, ~50 µs each through N-API; a decoding step is ~500 of them
 * (bench/native-functions). Here:
 *
 * 1. Trace (./native-trace.ts): run the code eagerly (real results) while recording every TensorFlow op it calls
 *    through tfjs-node's binding: op name, attributes, which earlier tensors it read. Tensors given as `inputs`
 *    become the graph's arguments; constants the code creates meanwhile (reshape targets, scalars) become `Const`
 *    nodes; tensors that existed before (the weights) are captured: passed by their TensorFlow handle on every call.
 * 2. Check: trace a second call. The code must depend on nothing but its inputs (and captured tensors that stay the
 *    same); if both traces give the same graph it is registered with TensorFlow (`binding.addGraphFunction`, added
 *    to tfjs-node by tools/scripts/tfjs-node-graph-functions.patch), otherwise the code keeps running op by op. A
 *    graph that reads a tensor back to JS, or runs an op without outputs, is never compiled.
 * 3. Call: later calls run the registered function: one `executeOp` with the inputs' and captures' handles.
 *
 * TensorFlow's executor then runs the nodes without a tfjs or N-API round trip each, and grappler optimises the graph
 * once (it fuses a matMul with its bias add, which changes results by float32 rounding, ~1e-6). Without the patched
 * binding (the prebuilt one of tfjs-node's download route), on WASM and CPU, or with CLASS_IT_NATIVE_FUNCTIONS=0,
 * `run` just calls the code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelBackend, nativeFunctionsAvailable, traceGraph, type TracedGraph } from './native-trace.js';

export { nativeFunctionsAvailable } from './native-trace.js';

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').filter((line) => !line.startsWith('Invalid TF_Status')).join(' ').slice(0, 300);
}

/**
 * Functions registered with TensorFlow in this process, by graph key. A graph is registered once: the weights are
 * arguments, so another model of the same architecture and shapes calls the same function (a long run that loads
 * many checkpoints does not pile up functions).
 */
const registered = new Map<string, string>();
/** Graph-and-captures keys that two equal traces have validated: a later call site with one compiles at once. */
const validated = new Set<string>();
let functionCalls = 0;

/** How many graph functions this process registered, and how many calls ran one (for tests and benchmarks). */
export function nativeFunctionStats(): { registered: number; calls: number } {
  return { registered: registered.size, calls: functionCalls };
}

/** The function of `graph` (registered on first use); `validatedByTwoTraces` records its key as safe to reuse. */
function register(graph: TracedGraph, validatedByTwoTraces: boolean): Compiled {
  let name = registered.get(graph.graphKey);
  if (name === undefined) {
    name = `class_it_${graph.graphKey}`;
    kernelBackend().binding.addGraphFunction!(name, graph.graphDef, graph.inputNames, graph.outputNames);
    registered.set(graph.graphKey, name);
  }
  if (validatedByTwoTraces) validated.add(graph.key);
  return { name, captures: graph.captures, outputs: graph.outputNames.length };
}

interface Compiled {
  name: string;
  captures: number[];
  outputs: number;
}

export interface NativeFunctionOptions {
  /** Traces that may disagree before the call site gives up and stays op by op (default 2). */
  maxMismatches?: number;
  /**
   * Every result comes from a graph function, also on the traced calls: a traced call's graph is registered and run
   * on the same inputs, and its op-by-op results are dropped. Then the numbers do not depend on which calls were
   * traced (a training run resumed from a checkpoint computes bit for bit what the uninterrupted run did). `body`
   * must leave its inputs alive (no side effects).
   */
  resultsFromFunction?: boolean;
}

/**
 * One piece of code run as a graph function once two traces agree (see the file comment). Use one instance per
 * call site and input shapes, e.g. per generation: `run(inputs, body)` returns what `body()` returns, computed by
 * the code itself or by the function. `body` must compute its outputs from `inputs` and from tensors that live
 * longer than the instance (weights); it must not read tensors back to JS or depend on other changing JS state.
 * Once compiled, `body` no longer runs: state it would change must come back among its outputs for the caller to
 * apply (the generation runner returns the KV cache's tensors and hands them back to the cache).
 */
export class NativeFunction {
  private previousKey?: string;
  private compiled?: Compiled;
  private mismatches = 0;
  private readonly maxMismatches: number;
  private readonly resultsFromFunction: boolean;
  /** Why it runs op by op (undefined while it may still compile). */
  eagerReason?: string;

  constructor(options: NativeFunctionOptions = {}) {
    this.maxMismatches = options.maxMismatches ?? 2;
    this.resultsFromFunction = options.resultsFromFunction ?? false;
    if (!nativeFunctionsAvailable()) this.eagerReason = 'graph functions are not available on this engine';
  }

  /** True once calls run the registered function. */
  get isCompiled(): boolean {
    return this.compiled !== undefined;
  }

  run(inputs: tf.Tensor[], body: () => tf.Tensor[]): tf.Tensor[] {
    if (this.compiled) {
      try {
        return this.call(this.compiled, inputs);
      } catch (error) {
        // A captured tensor was freed, or TensorFlow refused the call: from now on, op by op.
        this.compiled = undefined;
        this.eagerReason = `the function call failed (${firstLine(error)})`;
        return body();
      }
    }
    if (this.eagerReason) return body();
    const { outputs, graph, problem } = traceGraph(inputs, body);
    if (!graph) {
      this.eagerReason = problem;
      return outputs;
    }
    const agrees = graph.key === this.previousKey || validated.has(graph.key);
    if (!agrees && this.previousKey !== undefined && ++this.mismatches >= this.maxMismatches) {
      this.eagerReason = 'the traced graph changes from call to call';
    }
    this.previousKey = graph.key;
    if (!agrees && !this.resultsFromFunction) return outputs;
    let compiled: Compiled;
    try {
      compiled = register(graph, agrees);
    } catch (error) {
      this.eagerReason = `TensorFlow did not take the graph (${firstLine(error)})`;
      return outputs;
    }
    if (agrees) this.compiled = compiled;
    if (!this.resultsFromFunction) return outputs;
    const results = this.call(compiled, inputs);
    tf.dispose(outputs.filter((t) => !inputs.includes(t)));
    return results;
  }

  private call(compiled: Compiled, inputs: tf.Tensor[]): tf.Tensor[] {
    const backend = kernelBackend();
    const { name, captures, outputs } = compiled;
    const ids = [...backend.getInputTensorIds(inputs), ...captures];
    const results = backend.binding.executeOp(name, [], ids, outputs).map((info) => backend.createOutputTensor(info));
    functionCalls++;
    return results;
  }
}

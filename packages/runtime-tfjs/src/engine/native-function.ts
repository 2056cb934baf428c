/**
 * Graph functions on the native engine: run a piece of tfjs code that is called again and again with tensors of the
 * same shapes (a decoding step) as ONE TensorFlow op instead of hundreds. tfjs-node runs every kernel as its own
 * TensorFlow eager op, ~50 µs each through N-API; a decoding step is ~500 of them (bench/native-functions). Here:
 *
 * 1. Trace: run the code eagerly (real results) while recording every TensorFlow op it calls through tfjs-node's
 *    binding: op name, attributes, which earlier tensors it read. Tensors given as `inputs` become the graph's
 *    arguments; constants the code creates meanwhile (reshape targets, scalars) become `Const` nodes; tensors that
 *    existed before (the weights) are captured: passed by their TensorFlow handle on every call.
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
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { isNativeEngine, nativeBackend } from './native.js';
import { encodeGraphDef, readOpInputArgs, type GraphAttr, type GraphNode, type OpInputArg } from './graph-def.js';

/** tfjs-node's binding, the parts a trace intercepts. */
interface Binding {
  TF_ATTR_STRING: number; TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number; TF_ATTR_SHAPE: number;
  TF_FLOAT: number; TF_INT32: number; TF_INT64: number; TF_BOOL: number;
  executeOp(name: string, attrs: RawAttr[], inputIds: number[], outputCount: number): OutputInfo[];
  createTensor(shape: number[], dtype: number, values: ArrayLike<number> | unknown): number;
  tensorDataSync(id: number): unknown;
  addGraphFunction?(name: string, graphDef: Uint8Array, inputNames: string[], outputNames: string[]): void;
  allOpDefs?(): Uint8Array;
}
interface RawAttr { name: string; type: number; value: unknown }
interface OutputInfo { id: number; shape: number[]; dtype: number }
interface KernelBackend {
  binding: Binding;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(info: OutputInfo): tf.Tensor;
}

function kernelBackend(): KernelBackend {
  return nativeBackend() as unknown as KernelBackend;
}

/** True when graph functions can run here: the native engine, a patched binding, not switched off. */
export function nativeFunctionsAvailable(): boolean {
  if (process.env.CLASS_IT_NATIVE_FUNCTIONS === '0' || !isNativeEngine()) return false;
  const binding = kernelBackend().binding;
  return typeof binding.addGraphFunction === 'function' && typeof binding.allOpDefs === 'function';
}

let opInputArgs: Map<string, OpInputArg[]> | undefined;

/** The input arguments of TensorFlow's ops (read once from the binding). */
function opInputs(binding: Binding): Map<string, OpInputArg[]> {
  opInputArgs ??= readOpInputArgs(binding.allOpDefs!());
  return opInputArgs;
}

/** A traced graph: its GraphDef, argument and output node names, and the captured tensors' handles. */
interface TracedGraph {
  graphDef: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  captures: number[];
  /** A hash of the GraphDef: one registered function per distinct graph, whoever's weights it is called with. */
  graphKey: string;
  /** The graph key and the captured handles: what two traces must share before a call site compiles. */
  key: string;
}

/** Records the TensorFlow ops one run of a piece of code calls (see the file comment, step 1). */
class GraphRecorder {
  private readonly nodes: GraphNode[] = [];
  /** TensorFlow handle id -> the graph tensor it is (`node` or `node:k`). */
  private readonly refs = new Map<number, string>();
  /** Graph tensor -> its dtype (TensorFlow enum). */
  private readonly refDtypes = new Map<string, number>();
  /** Tensors created from JS values during the trace (they become Const nodes where read). */
  private readonly created = new Map<number, { shape: number[]; dtype: number; bytes: Uint8Array }>();
  /** Dtypes of the handles tfjs passed to ops (to type the captures). */
  readonly dtypes = new Map<number, number>();
  private readonly captures: number[] = [];
  private readonly inputNames: string[] = [];
  /** Why this graph cannot be a function (undefined while it can). */
  problem?: string;

  constructor(private readonly binding: Binding) {}

  dtypeEnum(dtype: tf.DataType): number {
    switch (dtype) {
      case 'float32': return this.binding.TF_FLOAT;
      case 'int32': return this.binding.TF_INT32;
      case 'bool': return this.binding.TF_BOOL;
      default:
        this.problem ??= `a tensor of dtype ${dtype}`;
        return this.binding.TF_FLOAT;
    }
  }

  addInput(id: number, dtype: tf.DataType): void {
    const name = `input_${this.inputNames.length}`;
    this.placeholder(name, this.dtypeEnum(dtype));
    this.inputNames.push(name);
    this.refs.set(id, name);
    this.refDtypes.set(name, this.dtypeEnum(dtype));
  }

  onCreate(id: number, shape: number[], dtype: number, values: unknown): void {
    if (!ArrayBuffer.isView(values)) {
      this.problem ??= 'a tensor of strings was created';
      return;
    }
    const bytes = Uint8Array.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.created.set(id, { shape: [...shape], dtype, bytes });
  }

  onExecute(name: string, attrs: RawAttr[], inputIds: number[], outputs: OutputInfo[]): void {
    if (outputs.length === 0) this.problem ??= `op ${name} has no outputs (a side effect a function would drop)`;
    const node: GraphNode = {
      name: `n${this.nodes.length}`,
      op: name,
      inputs: inputIds.map((id) => this.ref(id)),
      attrs: new Map(attrs.map((a) => [a.name, this.attr(a)])),
    };
    this.addInferredTypes(node);
    this.nodes.push(node);
    outputs.forEach((o, k) => {
      const ref = k === 0 ? node.name : `${node.name}:${k}`;
      this.refs.set(o.id, ref);
      this.refDtypes.set(ref, o.dtype);
    });
  }

  /**
   * Eager TensorFlow infers an op's type attributes from its inputs, and some tfjs-node kernels leave them out
   * (ExpandDims' `T`); a GraphDef must state them. They are set from the inputs' dtypes, per the op's definition.
   */
  private addInferredTypes(node: GraphNode): void {
    const args = opInputs(this.binding).get(node.op);
    if (!args) return;
    let at = 0;
    for (const arg of args) {
      const count = arg.numberAttr !== undefined ? Number(node.attrs.get(arg.numberAttr)?.value ?? NaN)
        : arg.typeListAttr !== undefined ? Number((node.attrs.get(arg.typeListAttr)?.value as number[] | undefined)?.length ?? NaN)
          : 1;
      if (!Number.isInteger(count)) {
        this.problem ??= `op ${node.op}: cannot tell how many inputs its list argument takes`;
        return;
      }
      if (arg.typeAttr !== undefined && !node.attrs.has(arg.typeAttr) && count > 0) {
        const dtype = this.refDtypes.get(node.inputs[at]!);
        if (dtype === undefined) this.problem ??= `op ${node.op}: input ${at} of unknown dtype`;
        else node.attrs.set(arg.typeAttr, { kind: 'type', value: dtype });
      }
      at += count;
    }
  }

  /** Add an Identity node per output and return the finished graph. */
  finish(outputIds: number[], outputDtypes: number[]): TracedGraph {
    const outputNames = outputIds.map((id, i) => {
      const name = `output_${i}`;
      this.nodes.push({ name, op: 'Identity', inputs: [this.ref(id)], attrs: new Map([['T', { kind: 'type', value: outputDtypes[i]! }]]) });
      return name;
    });
    const graphDef = encodeGraphDef(this.nodes);
    const graphKey = createHash('sha256').update(graphDef).digest('hex').slice(0, 32);
    const key = `${graphKey}:${this.captures.join(',')}`;
    return { graphDef, inputNames: [...this.inputNames, ...this.captureNames()], outputNames, captures: [...this.captures], graphKey, key };
  }

  private captureNames(): string[] {
    return this.captures.map((_, i) => `capture_${i}`);
  }

  private placeholder(name: string, dtype: number): void {
    this.nodes.push({ name, op: 'Placeholder', inputs: [], attrs: new Map([['dtype', { kind: 'type', value: dtype }]]) });
  }

  /** The graph tensor of handle `id`: a recorded one, a new constant, or a new capture. */
  private ref(id: number): string {
    const known = this.refs.get(id);
    if (known !== undefined) return known;
    const constant = this.created.get(id);
    let name: string;
    if (constant) {
      name = `const_${this.nodes.length}`;
      this.refDtypes.set(name, constant.dtype);
      this.nodes.push({
        name, op: 'Const', inputs: [], attrs: new Map<string, GraphAttr>([
          ['dtype', { kind: 'type', value: constant.dtype }],
          ['value', { kind: 'tensor', value: constant }],
        ]),
      });
    } else {
      name = `capture_${this.captures.length}`;
      const dtype = this.dtypes.get(id);
      if (dtype === undefined) this.problem ??= `tensor handle ${id} of unknown dtype`;
      this.placeholder(name, dtype ?? this.binding.TF_FLOAT);
      this.refDtypes.set(name, dtype ?? this.binding.TF_FLOAT);
      this.captures.push(id);
    }
    this.refs.set(id, name);
    return name;
  }

  private attr(a: RawAttr): GraphAttr {
    const b = this.binding;
    switch (a.type) {
      case b.TF_ATTR_STRING: return { kind: 'string', value: String(a.value) };
      case b.TF_ATTR_INT: return { kind: 'int', value: a.value as number | number[] };
      case b.TF_ATTR_FLOAT: return { kind: 'float', value: a.value as number | number[] };
      case b.TF_ATTR_BOOL: return { kind: 'bool', value: a.value as boolean | boolean[] };
      case b.TF_ATTR_TYPE: return { kind: 'type', value: a.value as number };
      case b.TF_ATTR_SHAPE: return { kind: 'shape', value: a.value as number[] };
      default:
        this.problem ??= `attribute ${a.name} of unknown kind ${a.type}`;
        return { kind: 'int', value: 0 };
    }
  }
}

/** Run `body` eagerly while recording its ops: its outputs, and its graph or why it cannot be one. */
function trace(inputs: tf.Tensor[], body: () => tf.Tensor[]): { outputs: tf.Tensor[]; graph?: TracedGraph; problem?: string } {
  const backend = kernelBackend();
  const real = backend.binding;
  const recorder = new GraphRecorder(real);
  backend.getInputTensorIds(inputs).forEach((id, i) => recorder.addInput(id, inputs[i]!.dtype));
  const tracing = Object.create(real) as Binding;
  // The binding's own properties are read-only: the tracing one shadows them on a child object.
  Object.defineProperties(tracing, {
    executeOp: {
      value: (name: string, attrs: RawAttr[], ids: number[], count: number) => {
        const outputs = real.executeOp(name, attrs, ids, count);
        recorder.onExecute(name, attrs, ids, outputs);
        return outputs;
      },
    },
    createTensor: {
      value: (shape: number[], dtype: number, values: unknown) => {
        const id = real.createTensor(shape, dtype, values);
        recorder.onCreate(id, shape, dtype, values);
        return id;
      },
    },
    tensorDataSync: {
      value: (id: number) => {
        recorder.problem ??= 'the code reads a tensor back to JS';
        return real.tensorDataSync(id);
      },
    },
  });
  // tfjs-node hands every op's input tensors to getInputTensorIds just before executeOp: their dtypes type the
  // captures.
  const ownIds = Object.getOwnPropertyDescriptor(backend, 'getInputTensorIds');
  const inputIdsOf = backend.getInputTensorIds.bind(backend);
  backend.getInputTensorIds = (tensors: tf.Tensor[]) => {
    const ids = inputIdsOf(tensors);
    ids.forEach((id, i) => { if (tensors[i]) recorder.dtypes.set(id, recorder.dtypeEnum(tensors[i]!.dtype)); });
    return ids;
  };
  backend.binding = tracing;
  let outputs: tf.Tensor[];
  try {
    outputs = body();
  } finally {
    backend.binding = real;
    if (ownIds) Object.defineProperty(backend, 'getInputTensorIds', ownIds);
    else delete (backend as Partial<KernelBackend>).getInputTensorIds;
  }
  if (recorder.problem) return { outputs, problem: recorder.problem };
  const outputIds = backend.getInputTensorIds(outputs);
  const graph = recorder.finish(outputIds, outputs.map((o) => recorder.dtypeEnum(o.dtype)));
  return recorder.problem ? { outputs, problem: recorder.problem } : { outputs, graph };
}

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

function register(graph: TracedGraph): string {
  let name = registered.get(graph.graphKey);
  if (name === undefined) {
    name = `class_it_${graph.graphKey}`;
    kernelBackend().binding.addGraphFunction!(name, graph.graphDef, graph.inputNames, graph.outputNames);
    registered.set(graph.graphKey, name);
  }
  validated.add(graph.key);
  return name;
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
  private compiled?: { name: string; captures: number[]; outputs: number };
  private mismatches = 0;
  /** Why it runs op by op (undefined while it may still compile). */
  eagerReason?: string;

  constructor(private readonly maxMismatches = 2) {
    if (!nativeFunctionsAvailable()) this.eagerReason = 'graph functions are not available on this engine';
  }

  /** True once calls run the registered function. */
  get isCompiled(): boolean {
    return this.compiled !== undefined;
  }

  run(inputs: tf.Tensor[], body: () => tf.Tensor[]): tf.Tensor[] {
    if (this.compiled) {
      try {
        return this.call(inputs);
      } catch (error) {
        // A captured tensor was freed, or TensorFlow refused the call: from now on, op by op.
        this.compiled = undefined;
        this.eagerReason = `the function call failed (${firstLine(error)})`;
        return body();
      }
    }
    if (this.eagerReason) return body();
    const { outputs, graph, problem } = trace(inputs, body);
    if (!graph) {
      this.eagerReason = problem;
      return outputs;
    }
    if (graph.key === this.previousKey || validated.has(graph.key)) {
      try {
        this.compiled = { name: register(graph), captures: graph.captures, outputs: graph.outputNames.length };
      } catch (error) {
        this.eagerReason = `TensorFlow did not take the graph (${firstLine(error)})`;
      }
    } else if (this.previousKey !== undefined && ++this.mismatches >= this.maxMismatches) {
      this.eagerReason = 'the traced graph changes from call to call';
    }
    this.previousKey = graph.key;
    return outputs;
  }

  private call(inputs: tf.Tensor[]): tf.Tensor[] {
    const backend = kernelBackend();
    const { name, captures, outputs } = this.compiled!;
    const ids = [...backend.getInputTensorIds(inputs), ...captures];
    const results = backend.binding.executeOp(name, [], ids, outputs).map((info) => backend.createOutputTensor(info));
    functionCalls++;
    return results;
  }
}

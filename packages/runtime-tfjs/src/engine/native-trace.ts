/**
 * The trace behind graph functions (./native-function.ts): run a piece of tfjs code eagerly on the native engine
 * while recording every TensorFlow op tfjs-node's binding executes for it, and turn the record into a GraphDef.
 * Tensors given as inputs become the graph's arguments (Placeholders); constants created during the run become
 * `Const` nodes; tensors that existed before (the weights) are captured: Placeholders passed by handle. Type
 * attributes that eager TensorFlow infers and tfjs-node leaves out are filled in from TensorFlow's op definitions.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { isNativeEngine, nativeBackend, type NativeAttr, type NativeBackend } from './native.js';
import { encodeGraphDef, readOpInputArgs, type GraphAttr, type GraphNode, type OpInputArg } from './graph-def.js';

/** tfjs-node's binding: what native.ts uses, and the parts a trace intercepts. */
type NativeBinding = NativeBackend['binding'];
export interface Binding extends NativeBinding {
  TF_ATTR_STRING: number; TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number; TF_ATTR_SHAPE: number;
  TF_FLOAT: number; TF_INT32: number; TF_INT64: number; TF_BOOL: number;
  executeOp(name: string, attrs: NativeAttr[], inputIds: number[], outputCount: number): OutputInfo[];
  createTensor(shape: number[], dtype: number, values: ArrayLike<number> | unknown): number;
  tensorDataSync(id: number): unknown;
  addGraphFunction?(name: string, graphDef: Uint8Array, inputNames: string[], outputNames: string[]): void;
  allOpDefs?(): Uint8Array;
}
export interface OutputInfo { id: number; shape: number[]; dtype: number }
/** tfjs-node's backend: what native.ts uses, and what a trace and a function call need. */
export interface KernelBackend extends NativeBackend {
  binding: Binding;
  tensorMap: { get(dataId: object): { values: unknown } | undefined };
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(info: OutputInfo): tf.Tensor;
}

export function kernelBackend(): KernelBackend {
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
export interface TracedGraph {
  graphDef: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  captures: number[];
  /** A hash of the GraphDef: one registered function per distinct graph, whoever's weights it is called with. */
  graphKey: string;
  /** The graph key and the captured handles: what two traces must share before a call site compiles. */
  key: string;
}

/** Records the TensorFlow ops one run of a piece of code calls (./native-function.ts explains the whole). */
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
    const type = this.dtypeEnum(dtype);
    this.placeholder(name, type);
    this.inputNames.push(name);
    this.refs.set(id, name);
    this.refDtypes.set(name, type);
  }

  /** A handle created during the trace for a tensor that existed before it (its values were held in JS until now):
   *  a capture like the weights, not a constant baked into the graph. */
  existedBefore(id: number): void {
    this.created.delete(id);
  }

  onCreate(id: number, shape: number[], dtype: number, values: unknown): void {
    if (!ArrayBuffer.isView(values)) {
      this.problem ??= 'a tensor of strings was created';
      return;
    }
    const bytes = Uint8Array.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.created.set(id, { shape: [...shape], dtype, bytes });
  }

  onExecute(name: string, attrs: NativeAttr[], inputIds: number[], outputs: OutputInfo[]): void {
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

  private attr(a: NativeAttr): GraphAttr {
    const b = this.binding;
    switch (a.type) {
      case b.TF_ATTR_STRING: return { kind: 'string', value: Array.isArray(a.value) ? a.value.map(String) : String(a.value) };
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

let tracing = 0;

/** True while `traceGraph` runs its body (code that picks kernels can pick those that suit a graph). */
export function isTracingGraph(): boolean {
  return tracing > 0;
}

/** Run `body` eagerly while recording its ops: its outputs, and its graph or why it cannot be one. */
export function traceGraph(inputs: tf.Tensor[], body: () => tf.Tensor[]): { outputs: tf.Tensor[]; graph?: TracedGraph; problem?: string } {
  const backend = kernelBackend();
  const real = backend.binding;
  const recorder = new GraphRecorder(real);
  backend.getInputTensorIds(inputs).forEach((id, i) => recorder.addInput(id, inputs[i]!.dtype));
  const tracingBinding = Object.create(real) as Binding;
  // The binding's own properties are read-only: the tracing one shadows them on a child object.
  Object.defineProperties(tracingBinding, {
    executeOp: {
      value: (name: string, attrs: NativeAttr[], ids: number[], count: number) => {
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
  // captures. A tensor made before the trace whose values tfjs still held in JS gets its TensorFlow handle there.
  const firstTensorId = (tf.engine().constructor as unknown as { nextTensorId: number }).nextTensorId;
  const heldInJs = (t: tf.Tensor) => backend.tensorMap.get(t.dataId)?.values != null;
  const ownIds = Object.getOwnPropertyDescriptor(backend, 'getInputTensorIds');
  const inputIdsOf = backend.getInputTensorIds.bind(backend);
  backend.getInputTensorIds = (tensors: tf.Tensor[]) => {
    const older = tensors.map((t) => t !== undefined && t.id < firstTensorId && heldInJs(t));
    const ids = inputIdsOf(tensors);
    ids.forEach((id, i) => {
      if (!tensors[i]) return;
      recorder.dtypes.set(id, recorder.dtypeEnum(tensors[i]!.dtype));
      if (older[i]) recorder.existedBefore(id);
    });
    return ids;
  };
  backend.binding = tracingBinding;
  let outputs: tf.Tensor[];
  tracing++;
  try {
    outputs = body();
  } finally {
    tracing--;
    backend.binding = real;
    if (ownIds) Object.defineProperty(backend, 'getInputTensorIds', ownIds);
    else delete (backend as Partial<KernelBackend>).getInputTensorIds;
  }
  if (recorder.problem) return { outputs, problem: recorder.problem };
  const outputIds = backend.getInputTensorIds(outputs);
  const graph = recorder.finish(outputIds, outputs.map((o) => recorder.dtypeEnum(o.dtype)));
  return recorder.problem ? { outputs, problem: recorder.problem } : { outputs, graph };
}


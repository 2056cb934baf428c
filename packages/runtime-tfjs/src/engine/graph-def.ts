/**
 * A TensorFlow `GraphDef` written as protobuf bytes, for the native engine's graph functions (./native-function.ts):
 * just the messages and fields a traced graph of tfjs ops needs (NodeDef, AttrValue, TensorProto, TensorShapeProto;
 * field numbers from tensorflow/core/framework/*.proto). No protobuf library: a graph is a few hundred nodes.
 */

/** One attribute value, as tfjs-node passes it to its binding (`{ name, type, value }`), typed by kind. */
export type GraphAttr =
  | { kind: 'string'; value: string | string[] }
  | { kind: 'int'; value: number | number[] }
  | { kind: 'float'; value: number | number[] }
  | { kind: 'bool'; value: boolean | boolean[] }
  | { kind: 'type'; value: number }
  | { kind: 'types'; value: number[] }
  | { kind: 'shape'; value: number[] }
  | { kind: 'tensor'; value: GraphTensor };

/** A constant: TensorFlow dtype enum (DT_FLOAT = 1, DT_INT32 = 3, ...), shape, and its little-endian bytes. */
export interface GraphTensor {
  dtype: number;
  shape: number[];
  bytes: Uint8Array;
}

export interface GraphNode {
  name: string;
  op: string;
  /** `node` or `node:k` (output k of node). */
  inputs: string[];
  attrs: Map<string, GraphAttr>;
}

/** Bytes of one protobuf message, written field by field. */
class ProtoWriter {
  private readonly chunks: number[] = [];

  private varint(value: number | bigint): void {
    // int64 fields: negative numbers are their two's complement as 64 bits (ten bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    for (const b of value) this.chunks.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    this.floatBits(value);
    return this;
  }

  /** A packed repeated field of varints (int64, bool, enum). */
  packedInts(field: number, values: number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.floatBits(v);
    return this.bytes(field, inner.finish());
  }

  private floatBits(value: number): void {
    const b = new Uint8Array(new Float32Array([value]).buffer);
    for (const x of b) this.chunks.push(x);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function shapeProto(shape: number[]): ProtoWriter {
  const w = new ProtoWriter();
  for (const size of shape) w.message(2, new ProtoWriter().int(1, size)); // dim { size }
  return w;
}

function tensorProto(t: GraphTensor): ProtoWriter {
  return new ProtoWriter().int(1, t.dtype).message(2, shapeProto(t.shape)).bytes(4, t.bytes); // dtype, shape, content
}

function attrProto(attr: GraphAttr): ProtoWriter {
  const w = new ProtoWriter();
  const v = attr.value;
  switch (attr.kind) {
    case 'string': {
      if (!Array.isArray(v)) return w.string(2, v as string);
      const list = new ProtoWriter();
      for (const item of v as string[]) list.string(2, item); // ListValue.s
      return w.message(1, list);
    }
    case 'type': return w.int(6, attr.value);
    case 'types': return w.message(1, new ProtoWriter().packedInts(6, attr.value));
    case 'shape': return w.message(7, shapeProto(attr.value));
    case 'tensor': return w.message(8, tensorProto(attr.value));
    case 'int':
      return Array.isArray(v) ? w.message(1, new ProtoWriter().packedInts(3, v as number[])) : w.int(3, v as number);
    case 'float':
      return Array.isArray(v) ? w.message(1, new ProtoWriter().packedFloats(4, v as number[])) : w.float(4, v as number);
    case 'bool':
      return Array.isArray(v)
        ? w.message(1, new ProtoWriter().packedInts(5, (v as boolean[]).map(Number)))
        : w.int(5, v ? 1 : 0);
  }
}

function nodeProto(node: GraphNode): ProtoWriter {
  const w = new ProtoWriter().string(1, node.name).string(2, node.op);
  for (const input of node.inputs) w.string(3, input);
  // map<string, AttrValue> attr = 5, written in key order (the bytes of a graph do not depend on call order).
  for (const name of [...node.attrs.keys()].sort()) {
    w.message(5, new ProtoWriter().string(1, name).message(2, attrProto(node.attrs.get(name)!)));
  }
  return w;
}

/** GraphDef producer version written into `versions` (any recent one: no op used here is deprecated). */
const GRAPH_DEF_PRODUCER = 1000;

/** The serialized GraphDef of `nodes`. */
export function encodeGraphDef(nodes: GraphNode[]): Uint8Array {
  const w = new ProtoWriter();
  for (const node of nodes) w.message(1, nodeProto(node));
  w.message(4, new ProtoWriter().int(1, GRAPH_DEF_PRODUCER)); // versions { producer }
  return w.finish();
}

/** What a GraphDef needs of an op's definition: per input argument, the attributes that type and count it. */
export interface OpInputArg {
  /** The type attribute all its tensors share (e.g. `T`), if any. */
  typeAttr?: string;
  /** The int attribute giving how many tensors it takes (a list of one type, e.g. `N`), if any. */
  numberAttr?: string;
  /** The list(type) attribute of a list of mixed types, if any. */
  typeListAttr?: string;
}

/** Reads protobuf fields: field number, wire type, and the value (a number, or the bytes of a nested message). */
function* protoFields(bytes: Uint8Array): Generator<[number, number, number | Uint8Array]> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 2) {
      const length = varint();
      yield [field, wire, bytes.subarray(at, at + length)];
      at += length;
    } else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else throw new Error(`protobuf: wire type ${wire} at byte ${at}`);
  }
}

const utf8 = new TextDecoder();

/** The input arguments of every op in a serialized `OpList` (TensorFlow's TF_GetAllOpList), by op name. */
export function readOpInputArgs(opList: Uint8Array): Map<string, OpInputArg[]> {
  const ops = new Map<string, OpInputArg[]>();
  for (const [field, , op] of protoFields(opList)) {
    if (field !== 1 || !(op instanceof Uint8Array)) continue; // OpList.op
    let name = '';
    const inputs: OpInputArg[] = [];
    for (const [f, , value] of protoFields(op)) {
      if (f === 1 && value instanceof Uint8Array) name = utf8.decode(value); // OpDef.name
      if (f === 2 && value instanceof Uint8Array) { // OpDef.input_arg: ArgDef
        const arg: OpInputArg = {};
        for (const [af, , av] of protoFields(value)) {
          if (!(av instanceof Uint8Array)) continue;
          if (af === 4) arg.typeAttr = utf8.decode(av);
          if (af === 5) arg.numberAttr = utf8.decode(av);
          if (af === 6) arg.typeListAttr = utf8.decode(av);
        }
        inputs.push(arg);
      }
    }
    ops.set(name, inputs);
  }
  return ops;
}

/**
 * safetensors files: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the tensor bytes.
 * Reading validates everything the header claims (`readWeightTensors` also that weights are finite floats);
 * writing is atomic and F32 (or I32/I64 from integer arrays).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { DataError, writeFileAtomic } from '@class-it/core';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor read from a file. `data` is always float32 (converted from the stored dtype); `bytes` are the
 *  stored little-endian bytes, for exact access to integer tensors. */
export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
  bytes: Uint8Array;
}

/** The tensors of a file by name, plus its `__metadata__` string map (e.g. `{format: "pt"}`; empty when absent). */
export class SafetensorsContents extends Map<string, SafeTensor> {
  metadata: Record<string, string> = {};

  /** The same map (for callers that read `contents.tensors`). */
  get tensors(): Map<string, SafeTensor> {
    return this;
  }
}

/** A tensor to write: float32 data (stored F32), or Int32Array / BigInt64Array (stored I32 / I64). */
export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

if (os.endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');

/** Read and validate a safetensors file; any inconsistency is a `DataError` naming the file and tensor. */
export async function readSafetensors(file: string): Promise<SafetensorsContents> {
  const buffer = await fs.readFile(file);
  return parseSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), file);
}

export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const fail = (message: string, field?: string): never => {
    throw new DataError(message, { file, field });
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) fail(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes): truncated?`);
  let header: any;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    return fail(`header is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');

  const metadata: Record<string, string> = {};
  if (header.__metadata__ !== undefined) {
    const meta = header.__metadata__;
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) fail('must be an object of strings', '__metadata__');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== 'string') fail(`value of '${k}' is not a string`, '__metadata__');
      metadata[k] = v as string;
    }
  }

  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, info] of Object.entries(header as Record<string, any>)) {
    if (name === '__metadata__') continue;
    if (info === null || typeof info !== 'object') fail('tensor entry is not an object', name);
    const dtype = info.dtype as SafetensorsDtype;
    if (!(dtype in DTYPE_BYTES)) fail(`unknown dtype ${JSON.stringify(info.dtype)}`, `${name}.dtype`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, `${name}.shape`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o: unknown) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end]`, `${name}.data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before begin`, `${name}.data_offsets`);
    if (end > dataLength) fail(`data_offsets [${begin}, ${end}] run past the data (${dataLength} bytes): truncated?`, `${name}.data_offsets`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      fail(`shape [${shape}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`, `${name}.data_offsets`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The tensors must tile the data region exactly: sorted by offset, each starts where the previous ended.
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ending at ${cursor})`, `${e.name}.data_offsets`);
    if (e.begin > cursor) fail(`gap before data_offsets [${e.begin}, ${e.end}] (previous tensor ends at ${cursor})`, `${e.name}.data_offsets`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`tensors cover ${cursor} bytes but the data region has ${dataLength}: trailing bytes`);

  const contents = new SafetensorsContents();
  contents.metadata = metadata;
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    contents.set(e.name, { dtype: e.dtype, shape: e.shape, data: toFloat32(raw, e.dtype), bytes: raw });
  }
  return contents;
}

/** Integer dtypes, which weights never have (a float tensor relabelled I16, I32 or I64 even keeps its byte length). */
const INTEGER_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['I64', 'I32', 'I16', 'I8']);

/** A weight or optimizer tensor as float32. */
export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * The tensors of a weights file as float32, refusing what would otherwise load as silently wrong numbers: an
 * integer dtype (weights are floating point; a file relabelled e.g. F32 -> I32 keeps its length, so only the dtype
 * shows it; BOOL/U8 stay allowed for the attention-mask buffers of old HF checkpoints) and any NaN or infinite
 * value. Errors are `DataError`s naming the file and the tensor.
 */
export async function readWeightTensors(file: string): Promise<Map<string, FloatTensor>> {
  const out = new Map<string, FloatTensor>();
  for (const [name, tensor] of await readSafetensors(file)) {
    if (INTEGER_DTYPES.has(tensor.dtype)) {
      throw new DataError(`tensor '${name}' is declared ${tensor.dtype}, but weights are floating point (F32, F16, BF16 or F64): ` +
        'was the file relabelled?', { file, field: name });
    }
    const bad = tensor.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new DataError(`tensor '${name}' (shape [${tensor.shape}]) holds ${tensor.data[bad]} at element ${bad}: weights must be finite`,
        { file, field: name });
    }
    out.set(name, { shape: tensor.shape, data: tensor.data });
  }
  return out;
}

/** Write tensors atomically (header padded with spaces to a multiple of 8 bytes, as HF does). */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata, file));
}

export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
  file = '<buffer>',
): Uint8Array {
  const list = [...(tensors instanceof Map ? (tensors as ReadonlyMap<string, TensorToWrite>).entries() : Object.entries(tensors as Record<string, TensorToWrite>))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new DataError('a tensor may not be called __metadata__', { file, field: name });
    const dtype: SafetensorsDtype = t.data instanceof Float32Array ? 'F32' : t.data instanceof Int32Array ? 'I32' : t.data instanceof BigInt64Array ? 'I64' : fail(file, name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new DataError(`shape [${t.shape}] is invalid`, { file, field: name });
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) throw new DataError(`shape [${t.shape}] has ${elements} elements but data has ${t.data.length}`, { file, field: name });
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let headerText = JSON.stringify(header);
  const headerBytesLength = new TextEncoder().encode(headerText).byteLength;
  headerText += ' '.repeat((8 - (headerBytesLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function fail(file: string, name: string): never {
  throw new DataError('data must be a Float32Array, Int32Array or BigInt64Array', { file, field: name });
}

/** Convert stored little-endian values of `dtype` to float32. */
function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const count = raw.byteLength / DTYPE_BYTES[dtype];
  const aligned = (width: number) => (raw.byteOffset % width === 0 ? raw : raw.slice());
  switch (dtype) {
    case 'F32': {
      const a = aligned(4);
      return new Float32Array(a.buffer, a.byteOffset, count).slice();
    }
    case 'F64': {
      const a = aligned(8);
      return Float32Array.from(new Float64Array(a.buffer, a.byteOffset, count));
    }
    case 'F16': {
      const a = aligned(2);
      const h = new Uint16Array(a.buffer, a.byteOffset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(h[i]);
      return out;
    }
    case 'BF16': {
      const a = aligned(2);
      const h = new Uint16Array(a.buffer, a.byteOffset, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = h[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64': {
      const a = aligned(8);
      const v = new BigInt64Array(a.buffer, a.byteOffset, count);
      return Float32Array.from(v, (x) => Number(x));
    }
    case 'I32': {
      const a = aligned(4);
      return Float32Array.from(new Int32Array(a.buffer, a.byteOffset, count));
    }
    case 'I16': {
      const a = aligned(2);
      return Float32Array.from(new Int16Array(a.buffer, a.byteOffset, count));
    }
    case 'I8':
      return Float32Array.from(new Int8Array(raw.buffer, raw.byteOffset, count));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(raw);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** safetensors reading/writing: round trips, header layout, dtype conversion, corrupt and truncated files, and
 *  interoperability with Python's `safetensors.torch` where it is installed. */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '@class-it/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from '../src/safetensors/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safetensors-test-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A file built by hand: header object and raw data bytes. */
function build(header: Record<string, unknown>, data: Uint8Array, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('writeSafetensors / readSafetensors', () => {
  it('round-trips float32 tensors, integer tensors and metadata', async () => {
    const file = path.join(dir, 'model.safetensors');
    const w = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    const b = Float32Array.from([1e-30, -3.5, Number.MAX_VALUE > 0 ? 3.4e38 : 0]);
    const ids = new BigInt64Array([1n, -2n, 3n]);
    await writeSafetensors(file, new Map<string, any>([
      ['z.weight', { shape: [3, 4], data: w }],
      ['a.bias', { shape: [3], data: b }],
      ['ids', { shape: [3], data: ids }],
      ['scalar', { shape: [], data: Float32Array.of(7) }],
      ['empty', { shape: [0, 5], data: new Float32Array(0) }],
    ]), { format: 'pt' });
    const read = await readSafetensors(file);
    expect(read.metadata).toEqual({ format: 'pt' });
    expect([...read.keys()].sort()).toEqual(['a.bias', 'empty', 'ids', 'scalar', 'z.weight']);
    expect(read.get('z.weight')).toMatchObject({ dtype: 'F32', shape: [3, 4] });
    expect(Array.from(read.get('z.weight')!.data)).toEqual(Array.from(w));
    expect(Array.from(read.get('a.bias')!.data)).toEqual(Array.from(b));
    expect(read.get('ids')!.dtype).toBe('I64');
    expect(Array.from(read.get('ids')!.data)).toEqual([1, -2, 3]);
    const bytes = read.get('ids')!.bytes;
    expect(Array.from(new BigInt64Array(bytes.slice().buffer))).toEqual([1n, -2n, 3n]);
    expect(read.get('scalar')).toMatchObject({ shape: [], data: Float32Array.of(7) });
    expect(read.get('empty')!.data.length).toBe(0);
    expect(read.tensors).toBe(read);
  });

  it('pads the header with spaces to a multiple of 8 and writes tensors contiguously in name order', () => {
    const bytes = serializeSafetensors({ b: { shape: [1], data: Float32Array.of(2) }, a: { shape: [2], data: Float32Array.of(0, 1) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }));
    expect(bytes.length).toBe(8 + n + 12);
  });

  it('writes atomically (no temporary file left, old file replaced whole)', async () => {
    const file = path.join(dir, 'atomic', 'w.safetensors');
    await writeSafetensors(file, { x: { shape: [1], data: Float32Array.of(1) } });
    await writeSafetensors(file, { x: { shape: [2], data: Float32Array.of(3, 4) } });
    expect(await fs.readdir(path.dirname(file))).toEqual(['w.safetensors']);
    expect(Array.from((await readSafetensors(file)).get('x')!.data)).toEqual([3, 4]);
  });

  it('rejects data that does not match the shape when writing', async () => {
    await expect(writeSafetensors(path.join(dir, 'bad.safetensors'), { x: { shape: [2, 2], data: Float32Array.of(1) } })).rejects.toThrow(
      /field 'x'.*4 elements but data has 1/,
    );
  });

  it('converts F16, BF16, F64, I32 and BOOL to float32', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal = 0x0001; BF16: 1.0 = 0x3f80, -0.5 = 0xbf00.
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xbf00]).buffer);
    const f64 = new Uint8Array(new Float64Array([0.25, -1e10]).buffer);
    const i32 = new Uint8Array(new Int32Array([-7, 9]).buffer);
    const bool = Uint8Array.of(1, 0);
    const data = new Uint8Array([...f16, ...bf16, ...f64, ...i32, ...bool]);
    const file = parseSafetensors(build({
      h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
      bf: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      d: { dtype: 'F64', shape: [2], data_offsets: [12, 28] },
      i: { dtype: 'I32', shape: [2], data_offsets: [28, 36] },
      m: { dtype: 'BOOL', shape: [2], data_offsets: [36, 38] },
    }, data));
    expect(Array.from(file.get('h')!.data)).toEqual([1, -2, 65504, Math.fround(2 ** -24)]);
    expect(Array.from(file.get('bf')!.data)).toEqual([1, -0.5]);
    expect(Array.from(file.get('d')!.data)).toEqual([0.25, Math.fround(-1e10)]);
    expect(Array.from(file.get('i')!.data)).toEqual([-7, 9]);
    expect(Array.from(file.get('m')!.data)).toEqual([1, 0]);
  });
});

describe('corrupt and truncated files', () => {
  const good = () => serializeSafetensors({ 'w.weight': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, 'w.bias': { shape: [3], data: Float32Array.of(1, 2, 3) } });

  async function expectRejected(name: string, bytes: Uint8Array, message: RegExp) {
    const file = path.join(dir, `${name}.safetensors`);
    await fs.writeFile(file, bytes);
    const err = await readSafetensors(file).catch((e: unknown) => e);
    expect(err, name).toBeInstanceOf(DataError);
    expect((err as Error).message, name).toContain(file);
    expect((err as Error).message, name).toMatch(message);
  }

  it('rejects a truncated file', async () => {
    const bytes = good();
    await expectRejected('truncated-data', bytes.subarray(0, bytes.length - 5), /field 'w\.weight\.data_offsets'.*truncated/);
    await expectRejected('truncated-header', bytes.subarray(0, 20), /header length \d+ runs past the end.*truncated/);
    await expectRejected('tiny', bytes.subarray(0, 5), /too short/);
  });

  it('rejects trailing bytes, a huge header length and a header that is not JSON', async () => {
    await expectRejected('trailing', new Uint8Array([...good(), 0, 0, 0, 0]), /trailing bytes/);
    const huge = good().slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    await expectRejected('huge-header', huge, /exceeds/);
    const notJson = good().slice();
    notJson[8] = 0x5b; // '['
    await expectRejected('not-json', notJson, /not valid UTF-8 JSON|not a JSON object/);
  });

  it('names the tensor whose entry is wrong', async () => {
    const data = new Uint8Array(24);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['dtype', { a: { dtype: 'F8', shape: [6], data_offsets: [0, 24] } }, /field 'a\.dtype'.*unknown dtype/],
      ['shape', { a: { dtype: 'F32', shape: [2, -3], data_offsets: [0, 24] } }, /field 'a\.shape'/],
      ['size', { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 24] } }, /field 'a\.data_offsets'.*needs 16 bytes.*span 24/],
      ['reversed', { a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, /field 'a\.data_offsets'.*end before begin/],
      ['offsets', { a: { dtype: 'F32', shape: [6], data_offsets: [0] } }, /field 'a\.data_offsets'/],
      ['overlap', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, /field 'b\.data_offsets'.*overlap/],
      ['gap', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } }, /field 'b\.data_offsets'.*gap/],
      ['metadata', { __metadata__: { format: 3 }, a: { dtype: 'F32', shape: [6], data_offsets: [0, 24] } }, /field '__metadata__'/],
    ];
    for (const [name, header, message] of cases) await expectRejected(`entry-${name}`, build(header, data), message);
  });
});

function findTorchPython(): string | null {
  for (const candidate of [path.join(repoRoot, '.venv/bin/python'), 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import torch, safetensors'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
}
const python = findTorchPython();
if (!python) console.warn('SKIPPED: safetensors interop with Python: no python with torch + safetensors (looked for .venv/bin/python, python3)');

describe.skipIf(!python)('interoperability with Python safetensors.torch', () => {
  const helper = path.join(here, 'py/safetensors_interop.py');
  const run = (args: string[]) => {
    const r = spawnSync(python!, [helper, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };

  it('reads a file written by save_file (F32, F16, BF16, I64, scalar, empty)', async () => {
    const file = path.join(dir, 'from-python.safetensors');
    run(['st-write', file]);
    const expected = JSON.parse(await fs.readFile(file + '.json', 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    const read = await readSafetensors(file);
    expect(read.metadata).toEqual({ format: 'pt' });
    expect([...read.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, exp] of Object.entries(expected)) {
      const t = read.get(name)!;
      expect(t.shape, name).toEqual(exp.shape);
      expect(Array.from(t.data), name).toEqual(exp.values.map((v) => Math.fround(v)));
    }
    expect(read.get('a.half')!.dtype).toBe('F16');
    expect(read.get('b.bf16')!.dtype).toBe('BF16');
    expect(read.get('c.ids')!.dtype).toBe('I64');
  });

  it('writes files that safe_open reads back exactly', async () => {
    const file = path.join(dir, 'to-python.safetensors');
    const w = Float32Array.from({ length: 35 }, (_, i) => Math.fround(Math.sin(i) * 10));
    await writeSafetensors(file, { 'transformer.h.0.attn.c_attn.weight': { shape: [5, 7], data: w }, pos: { shape: [2], data: new BigInt64Array([5n, -1n]) } }, { format: 'pt' });
    run(['st-read', file, file + '.json']);
    const got = JSON.parse(await fs.readFile(file + '.json', 'utf8'));
    expect(got.metadata).toEqual({ format: 'pt' });
    expect(got.tensors['transformer.h.0.attn.c_attn.weight']).toEqual({ dtype: 'torch.float32', shape: [5, 7], values: Array.from(w) });
    expect(got.tensors.pos).toEqual({ dtype: 'torch.int64', shape: [2], values: [5, -1] });
  });
});

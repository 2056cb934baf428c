import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { resolveTaskDir, type TaskLayout } from '../src/data-dir.js';
import { parseJsonlText, requireInteger, requireNumber, requireString, requireStringArray } from '../src/jsonl-fields.js';

const layout: TaskLayout = { name: 'BLiMP', fast: ['fast_eval/blimp_fast', 'blimp/blimp_fast'], full: ['full_eval/blimp_filtered', 'blimp/blimp_filtered'] };

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'zs-layout-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return root;
}

describe('resolveTaskDir', () => {
  it('accepts the benchmark folder itself, an evaluation_data root and the shared eval-data layout', async () => {
    const direct = await tree({ 'b.jsonl': '{}', 'a.jsonl': '{}', 'notes.txt': '' });
    expect((await resolveTaskDir(direct, layout, true)).files.map((f) => path.basename(f))).toEqual(['a.jsonl', 'b.jsonl']);
    const babylm = await tree({ 'fast_eval/blimp_fast/x.jsonl': '{}', 'full_eval/blimp_filtered/y.jsonl': '{}' });
    expect((await resolveTaskDir(babylm, layout, true)).dir).toBe(path.join(babylm, 'fast_eval/blimp_fast'));
    expect((await resolveTaskDir(babylm, layout, false)).dir).toBe(path.join(babylm, 'full_eval/blimp_filtered'));
    const nested = await tree({ 'evaluation_data/fast_eval/blimp_fast/x.jsonl': '{}' });
    expect((await resolveTaskDir(nested, layout, true)).dir).toBe(path.join(nested, 'evaluation_data/fast_eval/blimp_fast'));
    const shared = await tree({ 'blimp/blimp_fast/x.jsonl': '{}' });
    expect((await resolveTaskDir(shared, layout, true)).dir).toBe(path.join(shared, 'blimp/blimp_fast'));
  });

  it('names the directory and the folders it looked in when the layout is wrong', async () => {
    const wrong = await tree({ 'fast_eval/other/x.jsonl': '{}' });
    await expect(resolveTaskDir(wrong, layout, true)).rejects.toThrow(DataError);
    await expect(resolveTaskDir(wrong, layout, true)).rejects.toThrow(new RegExp(`^${wrong}: no BLiMP fast data: .*fast_eval/blimp_fast`));
    await expect(resolveTaskDir(path.join(wrong, 'nope'), layout, true)).rejects.toThrow(/does not exist/);
  });
});

describe('JSONL fields', () => {
  const rows = parseJsonlText('{"s": "x", "n": 1.5, "i": 3, "a": ["p", "q"]}\n\n{"s": 3, "a": ["p", 1], "i": 2.5}\n', 'f.jsonl');
  it('reads good fields', () => {
    expect(requireString(rows[0]!, 's', 'f.jsonl')).toBe('x');
    expect(requireNumber(rows[0]!, 'n', 'f.jsonl')).toBe(1.5);
    expect(requireInteger(rows[0]!, 'i', 'f.jsonl')).toBe(3);
    expect(requireStringArray(rows[0]!, 'a', 'f.jsonl')).toEqual(['p', 'q']);
  });
  it('names file, line and field of a bad field', () => {
    expect(() => requireString(rows[1]!, 's', 'f.jsonl')).toThrow("f.jsonl:3, field 's': expected a string, got number");
    expect(() => requireNumber(rows[1]!, 'n', 'f.jsonl')).toThrow("f.jsonl:3, field 'n': missing field");
    expect(() => requireInteger(rows[1]!, 'i', 'f.jsonl')).toThrow("f.jsonl:3, field 'i': expected an integer");
    expect(() => requireStringArray(rows[1]!, 'a', 'f.jsonl')).toThrow("f.jsonl:3, field 'a': expected an array of strings");
  });
  it('keeps only the first rows with a limit (eval --limit), in file order', () => {
    const text = '{"k": 1}\n{"k": 2}\n{"k": 3}\n';
    expect(parseJsonlText(text, 'h.jsonl', 2).map((r) => r.value.k)).toEqual([1, 2]);
    expect(parseJsonlText(text, 'h.jsonl').length).toBe(3);
    expect(parseJsonlText(text, 'h.jsonl', 9).length).toBe(3);
  });
  it('names file and line of a bad JSON line', () => {
    expect(() => parseJsonlText('{"a": 1}\n{"a": \n', 'g.jsonl')).toThrow(/^g\.jsonl:2: invalid JSON/);
    expect(() => parseJsonlText('[1, 2]\n', 'g.jsonl')).toThrow(/^g\.jsonl:1: expected a JSON object/);
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, formatLocation, readJsonFile, readJsonIfExists, readJsonObject, typeOf } from '../src/index.js';

describe('errors name file, line and field', () => {
  it('formats a full location', () => {
    expect(formatLocation({ file: 'a.jsonl', line: 3, field: 'sentence_good' })).toBe("a.jsonl:3, field 'sentence_good': ");
  });
  it('JSON files: missing, invalid and wrong-shaped files are DataErrors naming the file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'core-json-'));
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, '{"a": 1,');
    await expect(readJsonFile(bad)).rejects.toThrow(DataError);
    await expect(readJsonFile(bad)).rejects.toThrow(`${bad}: invalid JSON`);
    await expect(readJsonFile(path.join(dir, 'none.json'))).rejects.toThrow(/none\.json: file not found/);
    expect(await readJsonIfExists(path.join(dir, 'none.json'))).toBeUndefined();
    const arr = path.join(dir, 'arr.json');
    await fs.writeFile(arr, '[1]');
    await expect(readJsonObject(arr)).rejects.toThrow(`${arr}: expected a JSON object, got array`);
    expect(typeOf(null)).toBe('null');
  });
});

import { describe, expect, it } from 'vitest';
import { DataError } from '@class-it/core';
import { parseJsonl, stringField } from '../src/index.js';

describe('JSONL rows name file, line and field', () => {
  it('parseJsonl reports the bad line', () => {
    expect(() => parseJsonl('{"a":1}\n{oops\n', 'x.jsonl')).toThrow(/x\.jsonl:2: invalid JSON/);
  });
  it('stringField reports a missing field', () => {
    const rows = parseJsonl('{"a":1}\n', 'x.jsonl');
    expect(() => stringField(rows[0]!, 'b', 'x.jsonl')).toThrow(DataError);
    expect(() => stringField(rows[0]!, 'a', 'x.jsonl')).toThrow("x.jsonl:1, field 'a': expected a string, got number");
  });
});

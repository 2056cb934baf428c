import { describe, expect, it } from 'vitest';
import { DataError, formatLocation, parseJsonl, stringField } from '../src/index.js';

describe('errors name file, line and field', () => {
  it('formats a full location', () => {
    expect(formatLocation({ file: 'a.jsonl', line: 3, field: 'sentence_good' })).toBe("a.jsonl:3, field 'sentence_good': ");
  });
  it('parseJsonl reports the bad line', () => {
    expect(() => parseJsonl('{"a":1}\n{oops\n', 'x.jsonl')).toThrow(/x\.jsonl:2: invalid JSON/);
  });
  it('stringField reports a missing field', () => {
    const rows = parseJsonl('{"a":1}\n', 'x.jsonl');
    expect(() => stringField(rows[0]!, 'b', 'x.jsonl')).toThrow(DataError);
    expect(() => stringField(rows[0]!, 'a', 'x.jsonl')).toThrow("x.jsonl:1, field 'a': expected a string, got number");
  });
});

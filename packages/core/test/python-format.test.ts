import { describe, expect, it } from 'vitest';
import { pyFloat, pyFloatRepr, pyFormatFixed, pyJsonDumps } from '../src/util/python-format.js';

describe('pyFloatRepr (Python repr of float)', () => {
  it.each([
    [3, '3.0'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1234567890123456, '1234567890123456.0'],
    [12.345678901234567, '12.345678901234567'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [123, '123.0'],
    [87 / 139, '0.6258992805755396'],
    [2 / 3, '0.6666666666666666'],
    [-0.000012345, '-1.2345e-05'],
    [-0.25, '-0.25'],
    [1e22, '1e+22'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('%s → %s', (x, s) => expect(pyFloatRepr(x)).toBe(s));
});

describe('pyFormatFixed (Python f"{x:.Nf}")', () => {
  it.each([
    [62.125, 2, '62.12'], // exact binary tie → half to even (toFixed gives 62.13)
    [62.375, 2, '62.38'],
    [0.5, 0, '0'],
    [1.5, 0, '2'],
    [2.675, 2, '2.67'], // 2.675 is below the tie in binary
    [100, 2, '100.00'],
    [-0.001, 2, '-0.00'],
    [9.995, 2, '9.99'],
    [99.999, 2, '100.00'],
    [1, 2, '1.00'],
    [0.12345, 4, '0.1235'],
  ])('%s with %d digits → %s', (x, d, s) => expect(pyFormatFixed(x, d)).toBe(s));
});

describe('pyJsonDumps (json.dumps defaults)', () => {
  it('uses Python separators, ensure_ascii escapes, bare NaN and float/int distinction', () => {
    const text = pyJsonDumps({ a: [1, pyFloat(2), 0.5], 'é': 'x"\n\u00e9\u{1F600}', n: NaN, t: true, z: null });
    expect(text).toBe('{"a": [1, 2.0, 0.5], "\\u00e9": "x\\"\\n\\u00e9\\ud83d\\ude00", "n": NaN, "t": true, "z": null}');
  });
  it('escapes DEL and control characters as \\u00XX', () => {
    expect(pyJsonDumps('\u007f\u0001/')).toBe('"\\u007f\\u0001/"');
  });
});

/**
 * Python's number and JSON formatting, so the reference files evaluators write (`predictions.json`,
 * `results.txt`, reports) are byte-for-byte what the Python pipelines write: `repr(float)` (= `str(float)`),
 * `f"{x:.2f}"` (round-half-even on the exact binary value) and `json.dumps` defaults (`ensure_ascii`,
 * `", "` / `": "` separators, bare `NaN`).
 */

/** A number that Python holds as a float (so `3` is written `3.0`). Plain JS integers are written as ints. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** `repr(x)` of a Python float: `1.0`, `0.5`, `1e-05`, `0.0001`, `1e+16`, `nan`, `inf`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-trip digits, as Python's repr does.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const exponent = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${m}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** Python's `format(x, f'.{digits}f')`: correctly rounded, exact ties to even (JS `toFixed` rounds ties up). */
export function pyFormatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  if (abs >= 1e21) return (negative ? '-' : '') + BigInt(Math.round(abs)).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  // toFixed(100) is the exact decimal expansion for every double of magnitude >= 2^-50 or so; smaller values
  // round to zero at any digit count we use.
  const exact = abs.toFixed(100);
  const [intPart, frac] = exact.split('.') as [string, string];
  const kept = intPart + frac.slice(0, digits);
  const rest = frac.slice(digits);
  let roundUp: boolean;
  if (rest[0]! > '5') roundUp = true;
  else if (rest[0]! < '5') roundUp = false;
  else if (/[1-9]/.test(rest.slice(1))) roundUp = true;
  else roundUp = Number(kept[kept.length - 1]) % 2 === 1; // an exact tie: round half to even
  let n = BigInt(kept);
  if (roundUp) n += 1n;
  let s = n.toString().padStart(digits + 1, '0');
  if (digits > 0) s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return (negative ? '-' : '') + s;
}

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** `json.dumps(value)` with Python's defaults. Numbers: `PyFloat` → float repr; JS integers → int; other
 *  JS numbers → float repr. Object keys keep insertion order. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyJsonFloat(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyJsonFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    return '{' + Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
  }
  throw new TypeError(`cannot serialise a ${typeof value} as JSON`);
}

function pyJsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return pyFloatRepr(x);
}

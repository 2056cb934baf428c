/**
 * Seeded dropout masks, computed in one JS loop. `tf.randomUniform(shape, 0, 1, 'float32', seed)` draws its
 * numbers in JS on every backend (seedrandom's Alea, seeded with `String(seed)`), one call through three layers
 * of functions per element, and a dropout built on it then runs four more kernels (>=, cast, two muls). Here the
 * same Alea stream fills the mask directly: `keep ? 1 / (1 - rate) : 0` in float32, exactly the values
 * `cast(randomUniform(...) >= rate) * (1 / (1 - rate))` gives, so a seed yields bit-identical masks and training
 * numbers (tests compare against tf.randomUniform).
 */

/** seedrandom's `Mash` (Baagøe), the hash Alea seeds itself with. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data: string) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
}

/** The Alea state seedrandom's `alea(seed)` starts from. */
function aleaState(seed: string): [number, number, number] {
  const m = mash();
  let s0 = m(' ');
  let s1 = m(' ');
  let s2 = m(' ');
  s0 -= m(seed);
  if (s0 < 0) s0 += 1;
  s1 -= m(seed);
  if (s1 < 0) s1 += 1;
  s2 -= m(seed);
  if (s2 < 0) s2 += 1;
  return [s0, s1, s2];
}

/**
 * The inverted-dropout mask for `count` elements: element i is `1 / (1 - rate)` (float32) when tfjs's uniform
 * number i for `seed` is >= `rate` (both in float32, as tf.greaterEqual compares them), else 0.
 */
export function dropoutMask(count: number, rate: number, seed: number | string): Float32Array {
  const out = new Float32Array(count);
  const threshold = Math.fround(rate);
  const scale = Math.fround(1 / (1 - rate));
  let [s0, s1, s2] = aleaState(String(seed));
  let c = 1;
  for (let i = 0; i < count; i++) {
    // seedrandom's Alea `next()`, its state in locals; tf.randomUniform stores the number as float32.
    const t = 2091639 * s0 + c * 2.3283064365386963e-10; // 2^-32
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = Math.fround(s2) >= threshold ? scale : 0;
  }
  return out;
}

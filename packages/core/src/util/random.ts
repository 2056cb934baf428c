/**
 * Seeded pseudo-random numbers: mulberry32 for the stream, splitmix32 to derive independent child seeds from a
 * seed and a label (so "shuffle stage qa with seed 7" never depends on what else was drawn before).
 */

/** splitmix32 finaliser: a well-mixed 32-bit hash of a 32-bit input. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a hash of a string (32-bit), for turning labels into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seed derived from a parent seed and a label; different labels give unrelated streams. */
export function deriveSeed(seed: number, label: string): number {
  return splitmix32((splitmix32(seed >>> 0) ^ hashString(label)) >>> 0);
}

export class Random {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.state = splitmix32(Math.floor(seed) >>> 0);
  }

  /** A uniform float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Random.int needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** A child generator for a named purpose, independent of this one's position. */
  static derive(seed: number, label: string): Random {
    return new Random(deriveSeed(seed, label));
  }
}

/** Shuffle with a seed and a label in one call. */
export function seededShuffle<T>(items: readonly T[], seed: number, label = ''): T[] {
  return Random.derive(seed, label).shuffle(items);
}

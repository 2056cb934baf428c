/**
 * Two more ways into the one seeded random source (./random.ts), for the tensor runtime's many numbered streams:
 *  - `deriveIndexedSeed(seed, index)`: a child seed for an integer index (weight tensor i, training step n,
 *    micro-batch m), cheaper than hashing a label and without building strings in a training loop. It is a
 *    different hash from `deriveSeed(seed, label)`: `deriveIndexedSeed(s, 1)` is unrelated to `deriveSeed(s, '1')`.
 *  - `randomAtState(state)`: a `Random` whose mulberry32 state starts at `state` as given. `new Random(seed)` first
 *    mixes the seed with splitmix32; this undoes that mix, so streams defined as "mulberry32 from state s" (the
 *    fine-tuning shuffle) keep their numbers while drawing from `Random`.
 */
import { Random } from './random.js';

/** A seed derived from a parent seed and an integer stream index (both taken as 32-bit integers). */
export function deriveIndexedSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Inverse of `splitmix32` (every step of it is a bijection on 32-bit integers): splitmix32(unsplitmix32(y)) = y. */
export function unsplitmix32(y: number): number {
  let z = (y ^ (y >>> 16)) >>> 0;
  z = Math.imul(z, 0x7ed1b41d); // multiplicative inverse of 0xc2b2ae35 mod 2^32
  z = (z ^ (z >>> 13) ^ (z >>> 26)) >>> 0;
  z = Math.imul(z, 0xa5cb9243); // multiplicative inverse of 0x85ebca6b mod 2^32
  z = (z ^ (z >>> 16)) >>> 0;
  return (z - 0x9e3779b9) >>> 0;
}

/** A generator whose mulberry32 state starts at `state >>> 0`, with no seed mixing. */
export function randomAtState(state: number): Random {
  if (!Number.isFinite(state)) throw new Error(`state must be a finite number, got ${state}`);
  return new Random(unsplitmix32(state >>> 0));
}

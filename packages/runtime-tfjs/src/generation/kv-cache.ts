/**
 * The key/value cache of incremental decoding: per layer, the keys and values of every position run so far,
 * [B, kvHeads, L, headDim]. A module's `forwardCached` appends the new positions' keys and values and attends to
 * all of the cache; the cache owns those tensors (kept out of the module's tf.tidy) and frees the previous ones.
 *
 * Two layouts, chosen per engine by the runtime (`cacheCapacityFor`), because the engines' costs differ:
 * - growing (WASM, CPU): each write concatenates, so L is the positions written. One copy per step; slicing is
 *   slow on WASM (bench/README.md).
 * - fixed capacity (native TensorFlow): tensors of `capacity` positions, the unwritten ones masked by the attention
 *   bias (`cachedAttentionBias`), so the steps between two growths have the same shapes. The native engine prepares
 *   a kernel for each new shape it meets (about 0.7 ms per attention product on the 2-core dev VM, against 0.2 ms for
 *   a shape seen before); with a fixed capacity that happens once per capacity instead of at every position. The
 *   capacity grows in steps of `CAPACITY_STEP` positions as the sequence does (`reserve`): every step reads and
 *   rewrites the whole cache, so a step costs more at a larger capacity (gpt-10m at batch 8: ~12 ms at 64 positions,
 *   ~20 ms at 256; bench/README.md). A write of several positions (the prompt) slices out the written part
 *   and the empty rest and joins them around the new positions; a write of one position (a decoding step) selects
 *   the new key where a one-hot boolean mask of its position is set (`writeMask`, an input tensor; TensorFlow's
 *   broadcasting `SelectV2`, one pass over the cache): a step is then the same graph at every position, which the
 *   runtime can run as one TensorFlow function (../engine/native-function.ts). Both writes give the same tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MASKED } from '../model/attention-bias.js';
import { isNativeEngine, nativeSelect } from '../engine/native.js';

export interface CachedKeyValues {
  key: tf.Tensor4D;
  value: tf.Tensor4D;
}

export class KVCache {
  private readonly layers = new Map<number, CachedKeyValues>();
  /** Positions written, per layer (equal for all layers between forward passes). */
  private readonly filled = new Map<number, number>();
  /** During `writingOnePosition`: the one-hot boolean [1, 1, capacity, 1] mask of the position being written. */
  private writeMask?: tf.Tensor4D;
  private currentCapacity?: number;

  /** `capacity`: the positions of a fixed-capacity cache (see `reserve`), or undefined for a growing cache. */
  constructor(capacity?: number) {
    if (capacity !== undefined && !(Number.isInteger(capacity) && capacity >= 1)) {
      throw new Error(`KVCache capacity must be a positive integer, got ${capacity}`);
    }
    this.currentCapacity = capacity;
  }

  /** Positions a fixed-capacity cache holds now (written or not); undefined for a growing cache. */
  get capacity(): number | undefined {
    return this.currentCapacity;
  }

  /**
   * Make room for `count` more positions in a fixed-capacity cache: when they do not fit, every layer's tensors grow
   * (zero-padded, the new positions masked) to the next multiple of `CAPACITY_STEP`. Returns whether it grew.
   */
  reserve(count: number): boolean {
    const capacity = this.currentCapacity;
    if (capacity === undefined || this.length + count <= capacity) return false;
    const grown = roundUpToCapacityStep(this.length + count);
    for (const [layer, { key, value }] of this.layers) {
      const pad = (t: tf.Tensor4D) => tf.keep(tf.pad(t, [[0, 0], [0, 0], [0, grown - capacity], [0, 0]]));
      this.layers.set(layer, { key: pad(key), value: pad(value) });
      tf.dispose([key, value]);
    }
    this.currentCapacity = grown;
    return true;
  }

  /**
   * Write `key` and `value` [B, kvHeads, T, headDim] of `layer` after its positions so far, and return the layer's
   * whole cache ([B, kvHeads, capacity or L + T, headDim]). Call it inside the module's tf.tidy: the returned
   * tensors are the cache's own.
   */
  append(layer: number, key: tf.Tensor4D, value: tf.Tensor4D): CachedKeyValues {
    const from = this.filled.get(layer) ?? 0;
    const count = key.shape[2];
    if (this.capacity !== undefined && from + count > this.capacity) {
      throw new Error(`KVCache: ${from} + ${count} positions exceed its capacity of ${this.capacity}`);
    }
    const previous = this.layers.get(layer);
    const next = { key: this.write(previous?.key, key, from), value: this.write(previous?.value, value, from) };
    tf.keep(next.key);
    tf.keep(next.value);
    if (previous) {
      previous.key.dispose();
      previous.value.dispose();
    }
    this.layers.set(layer, next);
    this.filled.set(layer, from + count);
    return next;
  }

  /** Positions cached so far (0 before the first forward). */
  get length(): number {
    return this.filled.get(0) ?? 0;
  }

  /** Key columns the attention bias must cover: the capacity, or the positions after this step's `queries`. */
  keyWidth(queries: number): number {
    return this.capacity ?? this.length + queries;
  }

  /**
   * The one-hot boolean mask [1, 1, capacity, 1] of the next position, when the next write is one position into a
   * fixed-capacity cache that holds some already (a decoding step); undefined otherwise. Pass it to
   * `writingOnePosition`.
   */
  nextPositionMask(count: number): tf.Tensor4D | undefined {
    if (this.capacity === undefined || count !== 1 || this.length === 0 || this.length >= this.capacity) return undefined;
    const mask = new Uint8Array(this.capacity);
    mask[this.length] = 1;
    return tf.tensor4d(mask, [1, 1, this.capacity, 1], 'bool');
  }

  /** Run `step` (a forward that appends one position per layer) with its writes done through `mask`. */
  writingOnePosition<T>(mask: tf.Tensor4D, step: () => T): T {
    this.writeMask = mask;
    try {
      return step();
    } finally {
      this.writeMask = undefined;
    }
  }

  /** The cached keys and values, layer by layer: [key 0, value 0, key 1, value 1, ...]. */
  tensors(): tf.Tensor4D[] {
    return [...this.layers.keys()].sort((a, b) => a - b).flatMap((layer) => {
      const { key, value } = this.layers.get(layer)!;
      return [key, value];
    });
  }

  /**
   * Make `tensors` (the layout of `tensors()`) the cache after a step computed outside it (a graph function) that
   * wrote `count` positions to every layer. The cache keeps them (out of any tf.tidy) and frees the ones they
   * replace; tensors it already holds are left as they are.
   */
  replaceTensors(tensors: tf.Tensor[], count: number): void {
    const layers = [...this.layers.keys()].sort((a, b) => a - b);
    if (tensors.length !== 2 * layers.length) throw new Error(`KVCache: ${tensors.length} tensors for ${layers.length} layers`);
    layers.forEach((layer, i) => {
      const old = this.layers.get(layer)!;
      const next = { key: tensors[2 * i] as tf.Tensor4D, value: tensors[2 * i + 1] as tf.Tensor4D };
      if (next.key === old.key && next.value === old.value) return;
      tf.keep(next.key);
      tf.keep(next.value);
      old.key.dispose();
      old.value.dispose();
      this.layers.set(layer, next);
      this.filled.set(layer, (this.filled.get(layer) ?? 0) + count);
    });
  }

  private write(old: tf.Tensor4D | undefined, fresh: tf.Tensor4D, from: number): tf.Tensor4D {
    if (this.capacity === undefined) return old ? tf.concat([old, fresh], 2) : fresh;
    if (this.writeMask && old) {
      if (fresh.shape[2] !== 1) throw new Error(`KVCache: a one-position write of ${fresh.shape[2]} positions`);
      return (isNativeEngine() ? nativeSelect(this.writeMask, fresh, old) : tf.where(this.writeMask, fresh, old)) as tf.Tensor4D;
    }
    const rest = this.capacity - from - fresh.shape[2];
    if (!old) return tf.pad(fresh, [[0, 0], [0, 0], [from, rest], [0, 0]]);
    const parts: tf.Tensor4D[] = [];
    if (from > 0) parts.push(tf.slice(old, [0, 0, 0, 0], [-1, -1, from, -1]));
    parts.push(fresh);
    if (rest > 0) parts.push(tf.slice(old, [0, 0, from + fresh.shape[2], 0], [-1, -1, rest, -1]));
    return tf.concat(parts, 2);
  }

  dispose(): void {
    for (const { key, value } of this.layers.values()) {
      key.dispose();
      value.dispose();
    }
    this.layers.clear();
    this.filled.clear();
  }
}

/** A fixed-capacity cache holds a multiple of this many positions, so that calls of similar lengths share shapes. */
export const CAPACITY_STEP = 64;

function roundUpToCapacityStep(positions: number): number {
  return Math.ceil(positions / CAPACITY_STEP) * CAPACITY_STEP;
}

/** The cache layout for the engine in use, for a first write of `positions`: a fixed capacity on native TensorFlow
 *  (`reserve` grows it later), a growing cache elsewhere (see the file comment). */
export function cacheCapacityFor(positions: number): number | undefined {
  return tf.getBackend() === 'tensorflow' ? roundUpToCapacityStep(positions) : undefined;
}

/**
 * The additive attention bias of a cached step, [B, 1, T, width] for T new queries after P cached positions: +0
 * where query i (absolute position P + i) may attend key j, `MASKED` elsewhere. The same rule as `attentionBias`,
 * shifted by P: allowed iff j <= P + i (causal) and key j is a real token (`keyMask[b][j]` = 1, for j < P + T).
 * `width` is the cache's key width (`KVCache.keyWidth`); columns past P + T (not written yet) are masked.
 */
export function cachedAttentionBias(keyMask: ArrayLike<number>[], queries: number, width = keyMask[0]?.length ?? 0): tf.Tensor4D {
  const batch = keyMask.length;
  const keys = keyMask[0]?.length ?? 0;
  const past = keys - queries;
  if (past < 0 || keys > width) throw new Error(`cachedAttentionBias: ${queries} queries, ${keys} keys, width ${width}`);
  const bias = new Float32Array(batch * queries * width).fill(MASKED);
  for (let b = 0; b < batch; b++) {
    const mask = keyMask[b]!;
    for (let i = 0; i < queries; i++) {
      const row = (b * queries + i) * width;
      for (let j = 0; j <= past + i; j++) if (mask[j] === 1) bias[row + j] = 0;
    }
  }
  return tf.tensor4d(bias, [batch, 1, queries, width]);
}

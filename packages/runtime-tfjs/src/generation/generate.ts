/**
 * Text generation on any `CausalLMModule`: prompts are left-padded into one batch (positions count real tokens
 * only, as HF derives them from the attention mask), the prompt is run once, then one token per step. A module
 * with `forwardCached` runs only the new token each step against its KV cache; one without it re-runs the whole
 * sequence (same numbers, slower). Every tensor of a step is freed before the next; the next token is chosen on the
 * host (./sampling.ts), and the text is tracked per sequence for streaming and stop strings (./stop-text.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ClassItError, ConfigError, Random, generationSettingsProblem,
  type FinishReason, type GenerationDefaults, type GenerationOptions, type GenerationOutput, type GenerationPrompt, type Tokenizer,
} from '@class-it/core';
import type { CausalLMModule } from '../causal-lm.js';
import { NativeFunction } from '../engine/native-function.js';
import { KVCache, cacheCapacityFor, cachedAttentionBias } from './kv-cache.js';
import { chooseToken, type SamplingRule } from './sampling.js';
import { StreamingText } from './stop-text.js';

/** Token ids, attention mask and position ids of a left-padded batch, growing by one column per step. */
class PaddedBatch {
  readonly ids: number[][];
  readonly mask: number[][];
  readonly positions: number[][];

  constructor(prompts: number[][], pad: number) {
    const width = Math.max(...prompts.map((p) => p.length));
    this.ids = prompts.map((p) => [...Array<number>(width - p.length).fill(pad), ...p]);
    this.mask = prompts.map((p) => [...Array<number>(width - p.length).fill(0), ...Array<number>(p.length).fill(1)]);
    this.positions = prompts.map((p) => [...Array<number>(width - p.length).fill(0), ...p.map((_, i) => i)]);
  }

  get width(): number {
    return this.ids[0]!.length;
  }

  append(tokens: number[]): void {
    tokens.forEach((token, b) => {
      this.ids[b]!.push(token);
      this.mask[b]!.push(1);
      this.positions[b]!.push(this.positions[b]!.at(-1)! + 1);
    });
  }

  /** Columns [from, width) of a field as an int32 or float32 [B, T] tensor. */
  tensor(field: 'ids' | 'positions' | 'mask', from = 0): tf.Tensor2D {
    const rows = this[field].map((r) => r.slice(from));
    return tf.tensor2d(rows, [rows.length, this.width - from], field === 'mask' ? 'float32' : 'int32');
  }
}

/** Next-token logits [B * V] after everything in the batch so far. */
interface StepRunner {
  logits(batch: PaddedBatch): Promise<Float32Array>;
  dispose(): void;
}

async function download(logits: tf.Tensor): Promise<Float32Array> {
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/**
 * Incremental decoding: only the columns not yet in the cache are run. With a fixed-capacity cache (the native
 * engine) the decoding steps at one capacity have the same shapes, and such a step runs as one TensorFlow graph
 * function once two steps have traced the same graph (../engine/native-function.ts): its inputs are the new ids,
 * positions, attention bias, the cache's write mask and the cache; its outputs the logits and the new cache. The
 * cache grows as the sequence does (`KVCache.reserve`); each capacity is its own call site (`NativeFunction`), and
 * they share the registered function (its graph does not depend on the capacity).
 */
class CachedRunner implements StepRunner {
  private readonly cache: KVCache;
  private readonly steps = new Map<number, NativeFunction>();

  /** `promptWidth`: the prompt's padded width (the first write). */
  constructor(private readonly module: CausalLMModule & Required<Pick<CausalLMModule, 'forwardCached'>>, promptWidth: number) {
    this.cache = new KVCache(cacheCapacityFor(promptWidth + 1));
  }

  /** The graph function of a decoding step at the cache's capacity (none for a growing cache). */
  private stepFunction(): NativeFunction | undefined {
    const capacity = this.cache.capacity;
    if (capacity === undefined) return undefined;
    let step = this.steps.get(capacity);
    if (!step) this.steps.set(capacity, (step = new NativeFunction()));
    return step;
  }

  logits(batch: PaddedBatch): Promise<Float32Array> {
    const from = this.cache.length;
    const queries = batch.width - from;
    this.cache.reserve(queries);
    return download(tf.tidy(() => {
      const ids = batch.tensor('ids', from);
      const positionIds = batch.tensor('positions', from);
      const attentionBias = cachedAttentionBias(batch.mask, queries, this.cache.keyWidth(queries));
      const forward = () => this.module.forwardCached(ids, this.cache, { positionIds, attentionBias });
      const mask = this.cache.nextPositionMask(queries);
      if (!mask) return forward();
      const body = () => this.cache.writingOnePosition(mask, () => [forward(), ...this.cache.tensors()]);
      const step = this.stepFunction();
      if (!step) return body()[0]!;
      const [logits, ...cache] = step.run([ids, positionIds, attentionBias, mask, ...this.cache.tensors()], body);
      this.cache.replaceTensors(cache, queries);
      return logits!;
    }));
  }

  dispose(): void {
    this.cache.dispose();
  }
}

/** Without a cache: the whole sequence every step (for modules that have no `forwardCached`). */
class RecomputingRunner implements StepRunner {
  constructor(private readonly module: CausalLMModule) {}

  logits(batch: PaddedBatch): Promise<Float32Array> {
    return download(tf.tidy(() => {
      const { logits } = this.module.forward(batch.tensor('ids'), {
        training: false, attentionMask: batch.tensor('mask'), positionIds: batch.tensor('positions'),
      });
      const [b, t, v] = logits.shape;
      return tf.reshape(tf.slice(logits, [0, t - 1, 0], [b, 1, v]), [b, v]);
    }));
  }

  dispose(): void {}
}

function hasCache(module: CausalLMModule): module is CausalLMModule & Required<Pick<CausalLMModule, 'forwardCached'>> {
  return typeof module.forwardCached === 'function';
}

/** The sampling rule of a call: its settings over the checkpoint's defaults; `temperature: 0` is greedy. */
export function samplingRule(options: GenerationOptions, defaults: GenerationDefaults): SamplingRule {
  const temperature = options.temperature ?? defaults.temperature;
  return {
    greedy: temperature === 0 || !(options.doSample ?? defaults.doSample),
    temperature,
    topK: options.topK ?? defaults.topK,
    topP: options.topP ?? defaults.topP,
    repetitionPenalty: options.repetitionPenalty ?? defaults.repetitionPenalty,
  };
}

function promptIds(prompt: GenerationPrompt, index: number, tokenizer: Tokenizer, vocabSize: number): number[] {
  let ids: number[];
  if (typeof prompt === 'string') {
    ids = tokenizer.encode(prompt).ids;
  } else {
    ids = prompt.ids;
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
    if (bad !== undefined) throw new ClassItError(`prompt ${index}: token id ${bad} is not in the vocabulary (0..${vocabSize - 1})`);
  }
  if (ids.length > 0) return ids;
  const bos = tokenizer.specialId('bos');
  if (bos === undefined) throw new ClassItError(`prompt ${index} is empty and the tokenizer has no BOS token to start from`);
  return [bos];
}

interface Sequence {
  prompt: number[];
  generated: number[];
  text: StreamingText;
  random: Random;
  finish?: FinishReason;
  finalText?: string;
}

/** Generate a continuation of every prompt (see the file comment). Never leaves a tensor behind. */
export async function generateText(
  module: CausalLMModule,
  tokenizer: Tokenizer,
  defaults: GenerationDefaults,
  prompts: GenerationPrompt[],
  options: GenerationOptions = {},
): Promise<GenerationOutput[]> {
  const problem = generationSettingsProblem(options);
  if (problem) throw new ConfigError(problem.message, { field: problem.field });
  if (prompts.length === 0) return [];
  const rule = samplingRule(options, defaults);
  const maxNewTokens = options.maxNewTokens ?? defaults.maxNewTokens;
  const stopIds = new Set([...defaults.eosTokenIds, ...(options.stopTokenIds ?? [])]);
  const decode = (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const seed = options.seed ?? 0;
  const sequences: Sequence[] = prompts.map((p, i) => ({
    prompt: promptIds(p, i, tokenizer, module.vocabSize),
    generated: [],
    text: new StreamingText(decode, options.stop ?? []),
    // Every prompt draws from its own stream of the seed: its text does not depend on the others in the call.
    random: Random.derive(seed, 'generate'),
  }));
  const batch = new PaddedBatch(sequences.map((s) => s.prompt), defaults.padTokenId);
  // As HF: the padded width counts against the context window.
  const steps = Math.min(maxNewTokens, module.contextLength - batch.width);
  if (steps < 1) {
    throw new ClassItError(`a prompt of ${batch.width} tokens leaves no room for new tokens in the context window of ${module.contextLength}`);
  }
  const vocab = module.vocabSize;
  const runner: StepRunner = hasCache(module) ? new CachedRunner(module, batch.width) : new RecomputingRunner(module);
  try {
    let logits = await runner.logits(batch);
    for (let step = 0; step < steps; step++) {
      const next = sequences.map((s, b) => {
        if (s.finish) return defaults.padTokenId;
        const seen = rule.repetitionPenalty === 1 ? [] : s.prompt.concat(s.generated);
        const token = chooseToken(logits.slice(b * vocab, (b + 1) * vocab), seen, rule, s.random);
        s.generated.push(token);
        const endsByToken = stopIds.has(token);
        const textIds = endsByToken ? s.generated.slice(0, -1) : s.generated;
        const update = s.text.update(textIds);
        let delta = update.delta;
        if (endsByToken || update.stopped) s.finish = 'stop';
        else if (s.generated.length >= steps) s.finish = 'length';
        if (s.finish) {
          const done = s.text.finish(textIds);
          s.finalText = done.text;
          delta += done.delta;
        }
        options.onToken?.({ index: b, tokenId: token, text: delta });
        return token;
      });
      if (sequences.every((s) => s.finish)) break;
      if (options.signal?.aborted) break;
      // Let the event loop run (streamed output flushes, a client's disconnect is noticed).
      await new Promise((resolve) => setImmediate(resolve));
      batch.append(next);
      logits = await runner.logits(batch);
    }
  } finally {
    runner.dispose();
  }
  return sequences.map((s) => {
    const finishReason: FinishReason = s.finish ?? 'abort';
    const text = s.finalText ?? s.text.finish(s.generated).text;
    return { text, ids: s.generated, finishReason, promptTokens: s.prompt.length };
  });
}

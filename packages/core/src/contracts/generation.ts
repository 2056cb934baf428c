/**
 * Text generation, an optional capability of a language model (check with `canGenerate`). The runtime decodes
 * incrementally with a KV cache; callers (the CLI's generate/chat/serve, the report's samples) see only this
 * contract: prompts in, text and token ids out, tokens streamed through `onToken`.
 *
 * Defaults come from the checkpoint's `generation_config.json` (HF `GenerationConfig` field names) when it has
 * one, else from HF's own defaults: greedy (`do_sample: false`), temperature 1, top-k 50 and top-p 1 when sampling.
 */

/** What may vary per call. Unset fields take the checkpoint's defaults (see `TextGenerator.generationDefaults`). */
export interface GenerationSettings {
  /** New tokens at most (the prompt is not counted). */
  maxNewTokens?: number;
  /** Sample (true) or decode greedily (false). `temperature: 0` always means greedy. */
  doSample?: boolean;
  /** Divide the logits by this before sampling; 0 means greedy. */
  temperature?: number;
  /** Sample among the k most likely tokens only (0: all). */
  topK?: number;
  /** Nucleus sampling: the smallest set of most likely tokens whose probabilities sum to at least p (1: all). */
  topP?: number;
  /** HF/CTRL repetition penalty on tokens already in the sequence (1: none; applies to greedy decoding too). */
  repetitionPenalty?: number;
  /** Stop when the generated text contains one of these; the text is cut before it. */
  stop?: string[];
  /** Token ids that end a sequence, besides the checkpoint's EOS. */
  stopTokenIds?: number[];
  /** Seed of the sampling: each prompt of a call draws from its own stream seeded by it, so the same prompt, settings
   *  and seed give the same text whatever else is in the call (default 0). */
  seed?: number;
}

/** The checkpoint's defaults, resolved (HF GenerationConfig semantics). */
export interface GenerationDefaults {
  maxNewTokens: number;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  /** Ids that end a sequence (the checkpoint's EOS, one or several). */
  eosTokenIds: number[];
  /** Id fed to finished rows and used for left padding. */
  padTokenId: number;
}

/** One streamed token. `text` is the new text it completes (may be empty: a partial character or a held-back
 *  possible stop string is released with a later token). */
export interface GenerationToken {
  /** Index of the prompt in the call. */
  index: number;
  tokenId: number;
  text: string;
}

export interface GenerationOptions extends GenerationSettings {
  /** Called for every generated token of every prompt, in order. */
  onToken?: (token: GenerationToken) => void;
  /** Stop early (finish reason `abort`). */
  signal?: AbortSignal;
}

/** A prompt: text (tokenised with the tokenizer's special tokens, as HF `tokenizer(text)`) or token ids. */
export type GenerationPrompt = string | { ids: number[] };

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerationOutput {
  /** The generated text (special tokens skipped, cut before a stop string). */
  text: string;
  /** Generated token ids only (an ending EOS included, as HF `generate` returns it). */
  ids: number[];
  /** `stop`: EOS, a stop token or a stop string; `length`: max new tokens or the context window; `abort`. */
  finishReason: FinishReason;
  promptTokens: number;
}

export interface TextGenerator {
  /** The defaults a call starts from (from the checkpoint's generation_config.json, or HF's). */
  readonly generationDefaults: GenerationDefaults;
  /** Generate a continuation of every prompt (batched, left-padded). */
  generate(prompts: GenerationPrompt[], options?: GenerationOptions): Promise<GenerationOutput[]>;
}

export function canGenerate<M>(model: M): model is M & TextGenerator {
  return typeof (model as Partial<TextGenerator> | null)?.generate === 'function';
}

/** A field of `GenerationSettings` that is out of range, with why; `undefined` when all are fine. The one home of
 *  these ranges: the runtime, the CLI's JSONL reader and the server all ask it. */
export function generationSettingsProblem(s: GenerationSettings): { field: keyof GenerationSettings; message: string } | undefined {
  const intAtLeast = (v: number | undefined, min: number) => v === undefined || (Number.isInteger(v) && v >= min);
  if (!intAtLeast(s.maxNewTokens, 1)) return { field: 'maxNewTokens', message: `must be an integer >= 1, got ${s.maxNewTokens}` };
  if (s.temperature !== undefined && !(s.temperature >= 0 && Number.isFinite(s.temperature))) {
    return { field: 'temperature', message: `must be a number >= 0, got ${s.temperature}` };
  }
  if (!intAtLeast(s.topK, 0)) return { field: 'topK', message: `must be an integer >= 0, got ${s.topK}` };
  if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) return { field: 'topP', message: `must be in (0, 1], got ${s.topP}` };
  if (s.repetitionPenalty !== undefined && !(s.repetitionPenalty > 0 && Number.isFinite(s.repetitionPenalty))) {
    return { field: 'repetitionPenalty', message: `must be a number > 0, got ${s.repetitionPenalty}` };
  }
  if (s.stop !== undefined && !(Array.isArray(s.stop) && s.stop.every((x) => typeof x === 'string' && x.length > 0))) {
    return { field: 'stop', message: 'must be a list of non-empty strings' };
  }
  if (s.stopTokenIds !== undefined && !(Array.isArray(s.stopTokenIds) && s.stopTokenIds.every((x) => Number.isInteger(x) && x >= 0))) {
    return { field: 'stopTokenIds', message: 'must be a list of token ids' };
  }
  if (s.seed !== undefined && !Number.isFinite(s.seed)) return { field: 'seed', message: `must be a finite number, got ${s.seed}` };
  return undefined;
}

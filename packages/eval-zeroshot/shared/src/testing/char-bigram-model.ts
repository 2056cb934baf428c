/**
 * TEST DOUBLE. A deterministic character-bigram "language model" that implements core's `LanguageModel`
 * contract, so evaluator tests run without tfjs or a trained network. Each UTF-16 code unit below 256 is a
 * token (others map to <unk>); optional BOS/EOS are added by the "post-processor" with offsets (0,0) like an
 * HF fast tokenizer. log P(next | prev) is a fixed pseudo-random table from a seed, normalised per row.
 * `logLikelihood` follows the BabyLM causal rule (spec §2.2) on this tokenizer, summing in float32.
 */
import {
  randomAtState,
  type Encoding,
  type EncodeOptions,
  type LanguageModel,
  type LogLikelihoodRequest,
  type LogLikelihoodResult,
  type ModelInfo,
  type ScoringOptions,
  type SpecialTokens,
  type Tokenizer,
} from '@class-it/core';

const UNK = 256;
const BOS = 257;
const EOS = 258;
const VOCAB = 259;

export interface CharBigramOptions {
  seed?: number;
  /** Prepend BOS (like a Llama tokenizer) — the first real token is then scored. Default false (GPT-2 style). */
  addBos?: boolean;
  /** Append EOS (never scored, but in the input). */
  addEos?: boolean;
  /** Scale of the logits: larger = peakier distributions. */
  sharpness?: number;
}

class CharTokenizer implements Tokenizer {
  readonly vocabSize = VOCAB;
  readonly specialTokens: SpecialTokens = { bos: '<s>', eos: '</s>', unk: '<unk>' };
  constructor(private readonly addBos: boolean, private readonly addEos: boolean) {}

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const special = options.addSpecialTokens ?? true;
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    const mask: number[] = [];
    if (special && this.addBos) {
      ids.push(BOS);
      offsets.push([0, 0]);
      mask.push(1);
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      ids.push(c < 256 ? c : UNK);
      offsets.push([i, i + 1]);
      mask.push(0);
    }
    if (special && this.addEos) {
      ids.push(EOS);
      offsets.push([0, 0]);
      mask.push(1);
    }
    return { ids, offsets, specialTokensMask: mask };
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return ids
      .filter((id) => !(options.skipSpecialTokens && id > 255))
      .map((id) => (id < 256 ? String.fromCharCode(id) : id === UNK ? '<unk>' : id === BOS ? '<s>' : '</s>'))
      .join('');
  }

  tokenToId(token: string): number | undefined {
    if (token.length === 1 && token.charCodeAt(0) < 256) return token.charCodeAt(0);
    return { '<unk>': UNK, '<s>': BOS, '</s>': EOS }[token];
  }

  idToToken(id: number): string | undefined {
    return id >= 0 && id < VOCAB ? this.decode([id]) : undefined;
  }

  specialId(name: 'bos' | 'eos' | 'pad' | 'unk'): number | undefined {
    return { bos: this.addBos ? BOS : undefined, eos: EOS, pad: EOS, unk: UNK }[name];
  }

  async save(): Promise<void> {
    throw new Error('the test tokenizer cannot be saved');
  }
}

export class CharBigramModel implements LanguageModel {
  readonly tokenizer: CharTokenizer;
  readonly info: ModelInfo;
  /** logProbs[prev * VOCAB + next], float32 like a real model's log-softmax. */
  private readonly logProbs: Float32Array;
  /** Batch sizes the model was asked for (tests check that evaluators pass settings through). */
  readonly batchSizesSeen: Array<number | undefined> = [];
  requestCount = 0;

  constructor(options: CharBigramOptions = {}) {
    this.tokenizer = new CharTokenizer(options.addBos ?? false, options.addEos ?? false);
    this.info = { architecture: 'char-bigram-test-double', source: `seed:${options.seed ?? 0}`, parameterCount: VOCAB * VOCAB, backend: 'test-double', contextLength: 1 << 20 };
    // The seed is the mulberry32 state itself (not mixed first), which keeps the tables the tests were written on.
    const random = randomAtState(options.seed ?? 0);
    const sharpness = options.sharpness ?? 3;
    this.logProbs = new Float32Array(VOCAB * VOCAB);
    for (let prev = 0; prev < VOCAB; prev++) {
      const logits = Array.from({ length: VOCAB }, () => sharpness * (random.next() * 2 - 1));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      for (let id = 0; id < VOCAB; id++) this.logProbs[prev * VOCAB + id] = logits[id]! - lse;
    }
  }

  tokenLogprob(prev: number, id: number, temperature = 1): number {
    if (temperature === 1) return this.logProbs[prev * VOCAB + id]!;
    const row = Array.from(this.logProbs.subarray(prev * VOCAB, (prev + 1) * VOCAB), (l) => l / temperature);
    const max = Math.max(...row);
    return Math.fround(row[id]! - (max + Math.log(row.reduce((s, l) => s + Math.exp(l - max), 0))));
  }

  async logLikelihood(requests: LogLikelihoodRequest[], options: ScoringOptions = {}): Promise<LogLikelihoodResult[]> {
    this.batchSizesSeen.push(options.batchSize);
    this.requestCount += requests.length;
    const out = requests.map(({ context, continuation }) => {
      const text = context + continuation;
      const enc = this.tokenizer.encode(text);
      const start = context.length + enc.offsets[0]![0];
      const tokens: string[] = [];
      const tokenLogprobs: number[] = [];
      let sum = 0;
      for (let j = 1; j < enc.ids.length; j++) {
        if (!(enc.offsets[j]![1] > start)) continue;
        const lp = this.tokenLogprob(enc.ids[j - 1]!, enc.ids[j]!, options.temperature ?? 1);
        sum = Math.fround(sum + lp);
        tokens.push(this.tokenizer.decode([enc.ids[j]!]));
        tokenLogprobs.push(lp);
      }
      return { logprob: sum, tokens, tokenLogprobs };
    });
    options.onProgress?.(requests.length, requests.length);
    return out;
  }

  async nextTokenLogprobs(requests: Array<{ context: string; tokenId: number }>): Promise<number[]> {
    this.requestCount += requests.length;
    return requests.map(({ context, tokenId }) => {
      const ids = this.tokenizer.encode(context).ids;
      if (ids.length === 0) throw new Error('nextTokenLogprobs: empty context');
      return this.tokenLogprob(ids[ids.length - 1]!, tokenId);
    });
  }

  dispose(): void {}
}

/**
 * Adding the chat-role tokens to a GPT-2 checkpoint whose tokenizer lacks them (`addSpecialTokens`, which grows
 * `transformer.wte.weight`, and `lm_head.weight` when untied): old rows and old-token logits unchanged, new ids
 * score finitely and get gradients, no tensor leak, and the saved directory loads in ours and in transformers.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { canAddTokens, missingSingleTokens } from '@class-it/core';
/** The chat-role tokens of @class-it/instruct's default template. */
const DEFAULT_TEMPLATE_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>'];
import { type Tokenizer, type TrainableModel } from '@class-it/core';
import { causalModuleOf, initEngine, trainByteLevelBpe } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const python = path.resolve(here, '../../../.venv/bin/python');
const pythonReady = existsSync(python) && (() => {
  try {
    execFileSync(python, ['-c', 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("torch", "transformers")) else 1)'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!pythonReady) console.warn(`SKIPPED: GPT resize HF-load test: no ${python} with torch + transformers`);

const ROLE_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>'];
const CORPUS = ['The cat sat on the mat.', 'Who should Derek hug after shocking Richard?', 'The children were playing in the garden.',
  'She reads books every night.', 'A: where is it?\nB: over there.'];
const TEXTS = ['The cat sat on the mat.', '<|user|>Who reads books?<|assistant|>She reads books every night.<|endoftext|>'];

function baseTokenizer(): Tokenizer {
  return trainByteLevelBpe(Array(4).fill(CORPUS).flat(), { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
}

function logitsOf(model: TrainableModel, ids: number[]): Float32Array {
  return tf.tidy(() => causalModuleOf(model).forward(tf.tensor2d([ids], [1, ids.length], 'int32'), { training: false }).logits.dataSync() as Float32Array);
}

/** logits [T * V] laid out per position; the first `v` columns of each position. */
function firstColumns(logits: Float32Array, positions: number, vocab: number, v: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < positions; t++) out.push(...logits.subarray(t * vocab, t * vocab + v));
  return out;
}

describe('GPT addSpecialTokens / resizeTokenEmbeddings', () => {
  const arch = new GptArchitecture();
  let work: string;

  beforeAll(async () => {
    await initEngine('cpu');
    work = mkdtempSync(path.join(tmpdir(), 'gpt-resize-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const tied of [true, false]) {
    it(`keeps old rows and old-token logits, scores new ids finitely, leaks no tensors (${tied ? 'tied' : 'untied'} head)`, async () => {
      const tokenizer = baseTokenizer();
      const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4, tie_word_embeddings: tied }, tokenizer, seed: 3 });
      expect(missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual(DEFAULT_TEMPLATE_TOKENS);
      expect(canAddTokens(model)).toBe(true);
      const module = causalModuleOf(model);
      const oldVocab = module.vocabSize;
      const oldIds = tokenizer.encode(TEXTS[0]).ids;
      const before = logitsOf(model, oldIds);
      const heads = tied ? ['transformer.wte.weight'] : ['transformer.wte.weight', 'lm_head.weight'];
      const oldRows = heads.map((n) => module.variables.get(n)!.dataSync().slice());
      const names = [...module.variables.keys()];
      const tfNames = heads.map((n) => module.variables.get(n)!.name);
      const params = model.info.parameterCount;
      const tensors = tf.memory().numTensors;

      await (model as unknown as { addSpecialTokens(t: string[]): Promise<void> }).addSpecialTokens(ROLE_TOKENS);

      expect(tf.memory().numTensors).toBe(tensors);
      expect(module.vocabSize).toBe(oldVocab + 3);
      expect(model.config.vocab_size).toBe(oldVocab + 3);
      expect(model.tokenizer.vocabSize).toBe(oldVocab + 3);
      expect(missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual([]);
      expect(ROLE_TOKENS.map((t) => model.tokenizer.tokenToId(t))).toEqual([oldVocab, oldVocab + 1, oldVocab + 2]);
      expect([...module.variables.keys()]).toEqual(names);
      expect(model.info.parameterCount).toBe(params + 3 * 32 * heads.length);
      expect(model.info.parameterCount).toBe(arch.parameterCount(model.config));
      heads.forEach((n, i) => {
        const v = module.variables.get(n)!;
        expect(v.shape).toEqual([oldVocab + 3, 32]);
        expect(v.trainable).toBe(true);
        expect(v.name).toBe(tfNames[i]);
        const data = v.dataSync();
        expect(Array.from(data.subarray(0, oldRows[i]!.length))).toEqual(Array.from(oldRows[i]!)); // bit-identical
        // new rows: the mean of the old rows up to ~3e-5 std of noise, and not all equal
        const mean = new Float32Array(32);
        for (let r = 0; r < oldVocab; r++) for (let c = 0; c < 32; c++) mean[c] += oldRows[i]![r * 32 + c]! / oldVocab;
        for (let r = oldVocab; r < oldVocab + 3; r++) for (let c = 0; c < 32; c++) expect(Math.abs(data[r * 32 + c]! - mean[c]!)).toBeLessThan(1e-4);
        expect(data[oldVocab * 32]).not.toBe(data[(oldVocab + 1) * 32]);
      });

      const after = logitsOf(model, oldIds);
      const maxDiff = Math.max(...firstColumns(after, oldIds.length, oldVocab + 3, oldVocab).map((x, i) => Math.abs(x - before[i]!)));
      expect(maxDiff).toBeLessThan(1e-6);
      const chatIds = model.tokenizer.encode(TEXTS[1]).ids;
      expect(chatIds).toContain(oldVocab + 1);
      expect(Array.from(logitsOf(model, chatIds)).every(Number.isFinite)).toBe(true);
      const [score] = await model.logLikelihood([{ context: '<|user|>Who reads books?', continuation: '<|assistant|>' }]);
      expect(Number.isFinite(score!.logprob)).toBe(true);
      expect(score!.logprob).toBeLessThan(0);
      model.dispose();
    });
  }

  it('a training step sends gradient into the new rows', async () => {
    const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4 }, tokenizer: baseTokenizer(), seed: 5 });
    await (model as unknown as { addSpecialTokens(t: string[]): Promise<void> }).addSpecialTokens(ROLE_TOKENS);
    const module = causalModuleOf(model);
    const ids = model.tokenizer.encode(TEXTS[1]).ids;
    const v = module.vocabSize;
    const wte = module.variables.get('transformer.wte.weight')!;
    const before = wte.dataSync().slice();
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
      const input = tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32');
      const { logits } = module.forward(input, { training: false });
      const targets = tf.oneHot(tf.tensor1d(ids.slice(1), 'int32'), v);
      return tf.losses.softmaxCrossEntropy(targets, tf.reshape(logits, [-1, v])) as tf.Scalar;
    }), [wte]);
    const g = grads[wte.name]!.dataSync();
    for (let r = v - 3; r < v; r++) {
      expect(Math.max(...Array.from(g.subarray(r * 32, (r + 1) * 32), Math.abs))).toBeGreaterThan(0);
    }
    tf.train.sgd(0.5).applyGradients({ [wte.name]: grads[wte.name]! });
    const after = wte.dataSync();
    expect(after[(v - 2) * 32]).not.toBe(before[(v - 2) * 32]);
    value.dispose();
    Object.values(grads).forEach((t) => t.dispose());
    model.dispose();
  });

  it('the resized model saves a consistent checkpoint that loads back in ours', async () => {
    const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4 }, tokenizer: baseTokenizer(), seed: 7 });
    await (model as unknown as { addSpecialTokens(t: string[]): Promise<void> }).addSpecialTokens(ROLE_TOKENS);
    const dir = path.join(work, 'ours');
    await model.save(dir);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const tokenizerConfig = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config.vocab_size).toBe(303);
    expect(tokenizerConfig.additional_special_tokens).toEqual(ROLE_TOKENS);
    const again = await arch.load(dir);
    expect(again.config.vocab_size).toBe(303);
    const ids = model.tokenizer.encode(TEXTS[1]).ids;
    expect(again.tokenizer.encode(TEXTS[1]).ids).toEqual(ids);
    expect(Array.from(logitsOf(again, ids))).toEqual(Array.from(logitsOf(model, ids)));
    again.dispose();
    model.dispose();
  });

  it.skipIf(!pythonReady)('the resized checkpoint opens in transformers with the same ids and logits', async () => {
    const model = await arch.create({ preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4, initializer_range: 0.3 }, tokenizer: baseTokenizer(), seed: 9 });
    await (model as unknown as { addSpecialTokens(t: string[]): Promise<void> }).addSpecialTokens(ROLE_TOKENS);
    const dir = path.join(work, 'for-hf');
    await model.save(dir);
    const script = [
      'import json, sys, torch',
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      'd, texts = sys.argv[1], json.loads(sys.argv[2])',
      'tok = AutoTokenizer.from_pretrained(d); m = AutoModelForCausalLM.from_pretrained(d).eval()',
      'out = {"len": len(tok), "rows": m.get_input_embeddings().weight.shape[0], "roles": tok.convert_tokens_to_ids(json.loads(sys.argv[3])), "ids": [], "logits": []}',
      'for t in texts:',
      '    ids = tok(t)["input_ids"]; out["ids"].append(ids)',
      '    with torch.no_grad(): out["logits"].append(m(torch.tensor([ids])).logits[0].flatten().tolist())',
      'print(json.dumps(out))',
    ].join('\n');
    const hf = JSON.parse(execFileSync(python, ['-c', script, dir, JSON.stringify(TEXTS), JSON.stringify(ROLE_TOKENS)], { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] })) as {
      len: number; rows: number; roles: number[]; ids: number[][]; logits: number[][];
    };
    expect(hf.len).toBe(303);
    expect(hf.rows).toBe(303);
    expect(hf.roles).toEqual([300, 301, 302]);
    TEXTS.forEach((text, i) => {
      const ids = model.tokenizer.encode(text).ids;
      expect(hf.ids[i]).toEqual(ids);
      const ours = logitsOf(model, ids);
      expect(Math.max(...hf.logits[i]!.map((x, j) => Math.abs(x - ours[j]!)))).toBeLessThan(1e-4);
    });
    model.dispose();
  }, 240_000);
});

/**
 * Adding the chat-role tokens to a LLaMA checkpoint whose tokenizer lacks them (`addSpecialTokens`, which grows
 * `model.embed_tokens.weight` and the untied `lm_head.weight`, stored [hidden, vocab] here): old rows and
 * old-token logits unchanged, new ids score finitely and get gradients, no tensor leak, and the saved directory
 * loads in ours and in transformers.
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
import { LlamaArchitecture } from '../src/index.js';

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
if (!pythonReady) console.warn(`SKIPPED: LLaMA resize HF-load test: no ${python} with torch + transformers`);

const ROLE_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>'];
const CORPUS = ['The cat sat on the mat.', 'Who should Derek hug after shocking Richard?', 'She reads books every night.'];
const TEXTS = ['The cat sat on the mat.', '<|user|>Who reads books?<|assistant|>She reads books every night.</s>'];
const OVERRIDES = { hidden_size: 32, intermediate_size: 64, num_attention_heads: 4, num_key_value_heads: 2, initializer_range: 0.2 };

function baseTokenizer(): Tokenizer {
  return trainByteLevelBpe(Array(4).fill(CORPUS).flat(), { vocabSize: 290, specialTokens: { bos: '<s>', eos: '</s>' }, addBos: true });
}

type AddsTokens = { addSpecialTokens(t: string[]): Promise<void> };

function logitsOf(model: TrainableModel, ids: number[]): Float32Array {
  return tf.tidy(() => causalModuleOf(model).forward(tf.tensor2d([ids], [1, ids.length], 'int32'), { training: false }).logits.dataSync() as Float32Array);
}

describe('LLaMA addSpecialTokens / resizeTokenEmbeddings', () => {
  const arch = new LlamaArchitecture();
  let work: string;

  beforeAll(async () => {
    await initEngine('cpu');
    work = mkdtempSync(path.join(tmpdir(), 'llama-resize-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const tied of [false, true]) {
    it(`keeps old rows and old-token logits, new ids score finitely and get gradients, no leak (${tied ? 'tied' : 'untied'})`, async () => {
      const tokenizer = baseTokenizer();
      const model = await arch.create({ preset: 'llama-tiny', overrides: { ...OVERRIDES, tie_word_embeddings: tied }, tokenizer, seed: 3 });
      expect(canAddTokens(model)).toBe(true);
      const module = causalModuleOf(model);
      const oldVocab = module.vocabSize;
      const oldIds = tokenizer.encode(TEXTS[0]).ids;
      const before = logitsOf(model, oldIds);
      const embed = module.variables.get('model.embed_tokens.weight')!;
      const oldEmbed = embed.dataSync().slice();
      const oldHead = tied ? undefined : module.variables.get('lm_head.weight')!.dataSync().slice(); // [32, V] row-major
      const tfNames = [...module.variables.values()].map((v) => v.name);
      const tensors = tf.memory().numTensors;

      await (model as unknown as AddsTokens).addSpecialTokens(ROLE_TOKENS);

      expect(tf.memory().numTensors).toBe(tensors);
      const v = oldVocab + 3;
      expect(module.vocabSize).toBe(v);
      expect(model.config.vocab_size).toBe(v);
      expect(missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS)).toEqual([]);
      expect([...module.variables.values()].map((x) => x.name)).toEqual(tfNames);
      expect(model.info.parameterCount).toBe(arch.parameterCount(model.config));
      const grownEmbed = module.variables.get('model.embed_tokens.weight')!.dataSync();
      expect(Array.from(grownEmbed.subarray(0, oldEmbed.length))).toEqual(Array.from(oldEmbed));
      if (oldHead) {
        const head = module.variables.get('lm_head.weight')!;
        expect(head.shape).toEqual([32, v]);
        const data = head.dataSync();
        for (let r = 0; r < 32; r++) {
          expect(Array.from(data.subarray(r * v, r * v + oldVocab))).toEqual(Array.from(oldHead.subarray(r * oldVocab, (r + 1) * oldVocab)));
        }
      }
      const after = logitsOf(model, oldIds);
      let maxDiff = 0;
      for (let t = 0; t < oldIds.length; t++) for (let i = 0; i < oldVocab; i++) maxDiff = Math.max(maxDiff, Math.abs(after[t * v + i]! - before[t * oldVocab + i]!));
      expect(maxDiff).toBeLessThan(1e-6);

      // new ids as inputs and as targets: finite logits, gradient into the new embedding rows (and head columns)
      const ids = model.tokenizer.encode(TEXTS[1]).ids;
      expect(ids).toContain(oldVocab + 1);
      expect(Array.from(logitsOf(model, ids)).every(Number.isFinite)).toBe(true);
      const trainable = [...module.variables.values()];
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
        const { logits } = module.forward(tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32'), { training: true });
        const targets = tf.oneHot(tf.tensor1d(ids.slice(1), 'int32'), v);
        return tf.losses.softmaxCrossEntropy(targets, tf.reshape(logits, [-1, v])) as tf.Scalar;
      }), trainable);
      const g = grads[module.variables.get('model.embed_tokens.weight')!.name]!.dataSync();
      for (const id of [oldVocab + 1, oldVocab + 2]) {
        expect(Math.max(...Array.from(g.subarray(id * 32, (id + 1) * 32), Math.abs))).toBeGreaterThan(0);
      }
      value.dispose();
      Object.values(grads).forEach((t) => t.dispose());
      model.dispose();
    });
  }

  it('saves a consistent checkpoint that loads back in ours', async () => {
    const model = await arch.create({ preset: 'llama-tiny', overrides: OVERRIDES, tokenizer: baseTokenizer(), seed: 7 });
    await (model as unknown as AddsTokens).addSpecialTokens(ROLE_TOKENS);
    const dir = path.join(work, 'ours');
    await model.save(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).vocab_size).toBe(293);
    const again = await arch.load(dir);
    const ids = model.tokenizer.encode(TEXTS[1]).ids;
    expect(again.tokenizer.encode(TEXTS[1]).ids).toEqual(ids);
    expect(Array.from(logitsOf(again, ids))).toEqual(Array.from(logitsOf(model, ids)));
    again.dispose();
    model.dispose();
  });

  it.skipIf(!pythonReady)('the resized checkpoint opens in transformers with the same ids and logits', async () => {
    const model = await arch.create({ preset: 'llama-tiny', overrides: OVERRIDES, tokenizer: baseTokenizer(), seed: 9 });
    await (model as unknown as AddsTokens).addSpecialTokens(ROLE_TOKENS);
    const dir = path.join(work, 'for-hf');
    await model.save(dir);
    const script = [
      'import json, sys, torch',
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      'd, texts = sys.argv[1], json.loads(sys.argv[2])',
      'tok = AutoTokenizer.from_pretrained(d); m = AutoModelForCausalLM.from_pretrained(d).eval()',
      'out = {"len": len(tok), "rows": m.get_input_embeddings().weight.shape[0], "head": m.get_output_embeddings().weight.shape[0], "ids": [], "logits": []}',
      'for t in texts:',
      '    ids = tok(t)["input_ids"]; out["ids"].append(ids)',
      '    with torch.no_grad(): out["logits"].append(m(torch.tensor([ids])).logits[0].flatten().tolist())',
      'print(json.dumps(out))',
    ].join('\n');
    const hf = JSON.parse(execFileSync(python, ['-c', script, dir, JSON.stringify(TEXTS)], { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] })) as {
      len: number; rows: number; head: number; ids: number[][]; logits: number[][];
    };
    expect([hf.len, hf.rows, hf.head]).toEqual([293, 293, 293]);
    TEXTS.forEach((text, i) => {
      const ids = model.tokenizer.encode(text).ids;
      expect(hf.ids[i]).toEqual(ids);
      const ours = logitsOf(model, ids);
      expect(Math.max(...hf.logits[i]!.map((x, j) => Math.abs(x - ours[j]!)))).toBeLessThan(1e-4);
    });
    model.dispose();
  }, 240_000);
});
